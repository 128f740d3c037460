import type { Command, CommandGroup } from '../command.js';
import { EXIT } from '../command.js';
import { readJsonFile } from '../json-input.js';
import { formatTable, formatTime, writeJson, writeLines } from '../output.js';

const list: Command = {
  name: 'list',
  summary: 'List the workflows (the current version of each)',
  description:
    'Columns: id, version (the start of its content hash), name, when it was last changed.',
  async run({ client, io, json }) {
    const items = await client.listWorkflows();
    if (json) {
      writeJson(io.stdout, items);
    } else if (items.length === 0) {
      writeLines(io.stdout, 'no workflows (register one: spane workflows register <file>)');
    } else {
      const rows = items.map((w) => [
        w.workflowId,
        w.version.slice(0, 12),
        w.definition.name,
        formatTime(w.createdAt),
      ]);
      io.stdout.write(formatTable(['ID', 'VERSION', 'NAME', 'UPDATED'], rows));
    }
    return EXIT.OK;
  },
};

const get: Command = {
  name: 'get',
  summary: 'Print a workflow definition as JSON',
  description:
    'Prints the definition alone, ready to edit and register again; with --json, the\n' +
    'stored record: { tenantId, workflowId, version, definition, createdAt }.',
  args: [{ name: 'id', description: 'workflow id' }],
  options: {
    version: {
      type: 'string',
      value: '<version>',
      description: 'a saved version (a content hash)',
    },
  },
  async run({ client, io, json }, { args, options }) {
    const stored = await client.getWorkflow(args.id!, options.version as string | undefined);
    writeJson(io.stdout, json ? stored : stored.definition);
    return EXIT.OK;
  },
};

const register: Command = {
  name: 'register',
  summary: 'Register a workflow definition from a JSON file (- reads stdin)',
  description:
    'A changed definition becomes a new version; the same one keeps its version.\n' +
    'A rejected definition prints each issue as "path: message" and exits 1.',
  args: [
    {
      name: 'file',
      description: 'path of a JSON definition, from the working directory; - for stdin',
    },
  ],
  async run({ client, io, json }, { args }) {
    const definition = await readJsonFile(io, args.file!);
    const stored = await client.registerWorkflow(definition);
    if (json) writeJson(io.stdout, stored);
    else writeLines(io.stdout, `registered ${stored.workflowId} version ${stored.version}`);
    return EXIT.OK;
  },
};

/** `spane workflows list|get|register`. */
export const workflowsGroup: CommandGroup = {
  name: 'workflows',
  summary: 'List, read and register workflow definitions',
  commands: [list, get, register],
};
