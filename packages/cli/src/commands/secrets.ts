import { type CliIo, type Command, type CommandGroup, EXIT, InputError } from '../command.js';
import { readStdin } from '../json-input.js';
import { formatTable, formatTime, writeJson, writeLines } from '../output.js';

/** Largest value read from stdin, in characters (the server refuses more than 64 KiB anyway). */
const MAX_STDIN_CHARS = 1024 * 1024;

/** The value of `secrets set`: `--value`, else stdin without one trailing line break. */
async function secretValue(io: CliIo, flag: string | undefined): Promise<string> {
  if (flag !== undefined) {
    io.stderr.write(
      'spane: warning: --value leaves the secret in your shell history and the process list; pipe it on stdin instead\n',
    );
    if (flag === '') throw new InputError('--value is empty');
    return flag;
  }
  if ((io.stdin as { isTTY?: boolean }).isTTY) {
    // Typed at a terminal (and echoed): say how to end it rather than wait silently.
    io.stderr.write('spane: type the value, then Enter and Ctrl-D (or pipe it in)\n');
  }
  const text = await readStdin(io);
  if (text.length > MAX_STDIN_CHARS) throw new InputError('the value on stdin is too large');
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    throw new InputError(
      'no value on stdin: pipe it in (printf %s "$TOKEN" | spane secrets set <name>)',
    );
  }
  return value;
}

const set: Command = {
  name: 'set',
  summary: 'Save a secret (create it or replace its value); the value is read from stdin',
  description:
    'Reads the value from stdin, without one trailing line break:\n' +
    '  printf %s "$TOKEN" | spane secrets set crm-token\n' +
    '  spane secrets set tls-key < key.pem\n' +
    'Workflow definitions then refer to it as { "$secret": "crm-token" }. The value is\n' +
    'encrypted by the server and never shown again. Needs an admin key.',
  args: [{ name: 'name', description: '1–128 characters of A-Z a-z 0-9 _ . -' }],
  options: {
    value: {
      type: 'string',
      value: '<value>',
      description: 'the value itself (lands in shell history: prefer stdin)',
    },
  },
  async run({ client, io, json }, { args, options }) {
    const value = await secretValue(io, options.value as string | undefined);
    const { secret, created } = await client.putSecret(args.name!, value);
    if (json) writeJson(io.stdout, { ...secret, created });
    else writeLines(io.stdout, `${created ? 'created' : 'replaced'} secret ${secret.name}`);
    return EXIT.OK;
  },
};

const list: Command = {
  name: 'list',
  summary: "List the tenant's secrets: names and dates, never values",
  description: 'Columns: name, when it was last set, when it was created. Needs an admin key.',
  async run({ client, io, json }) {
    const items = await client.listSecrets();
    if (json) {
      writeJson(io.stdout, items);
    } else if (items.length === 0) {
      writeLines(io.stdout, 'no secrets (save one: printf %s "$VALUE" | spane secrets set <name>)');
    } else {
      const rows = items.map((s) => [s.name, formatTime(s.updatedAt), formatTime(s.createdAt)]);
      io.stdout.write(formatTable(['NAME', 'UPDATED', 'CREATED'], rows));
    }
    return EXIT.OK;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Delete a secret',
  description:
    'Nodes that still refer to it fail when they run. Exits 1 when there is no such secret.',
  args: [{ name: 'name', description: 'the secret to delete' }],
  async run({ client, io, json }, { args }) {
    await client.deleteSecret(args.name!);
    if (json) writeJson(io.stdout, { name: args.name, deleted: true });
    else writeLines(io.stdout, `deleted secret ${args.name}`);
    return EXIT.OK;
  },
};

/** `spane secrets set|list|rm`. */
export const secretsGroup: CommandGroup = {
  name: 'secrets',
  summary: "Save, list and delete the tenant's secrets (values never shown)",
  commands: [set, list, rm],
};
