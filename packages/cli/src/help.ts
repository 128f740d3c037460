import {
  type ArgSpec,
  type Command,
  type CommandEntry,
  type CommandGroup,
  isGroup,
  type OptionSpec,
} from './command.js';

/** The default server URL when neither `--url` nor `SPANE_URL` is given. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    value: '<url>',
    description: `server URL (default: $SPANE_URL, else ${DEFAULT_URL})`,
  },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const ENVIRONMENT = [
  'Environment:',
  `  SPANE_URL       the server (default ${DEFAULT_URL})`,
  '  SPANE_API_KEY   API key, sent as "Authorization: Bearer <key>"',
];

const EXIT_CODES = [
  'Exit codes:',
  '  0  done (a waited-for execution completed)',
  '  1  the server refused, or the execution failed or was cancelled',
  '  2  bad usage or input',
  '  3  the server did not answer, or --timeout ran out',
];

function argUsage(args: readonly ArgSpec[] = []): string {
  return args.map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`)).join(' ');
}

/** `spane workflows get <id>`: the words and arguments of a command. */
function synopsis(path: string, command: Command): string {
  const args = argUsage(command.args);
  const options = Object.keys(command.options ?? {}).length > 0 ? ' [options]' : '';
  return `spane ${path}${args ? ` ${args}` : ''}${options}`;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

function commandRows(entries: readonly CommandEntry[]): string[] {
  const rows: [string, string][] = [];
  for (const entry of entries) {
    if (isGroup(entry)) {
      for (const c of entry.commands) {
        rows.push([`${entry.name} ${c.name} ${argUsage(c.args)}`.trimEnd(), c.summary]);
      }
    } else {
      rows.push([`${entry.name} ${argUsage(entry.args)}`.trimEnd(), entry.summary]);
    }
  }
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`);
}

/** `spane --help`: every command. */
export function rootHelp(entries: readonly CommandEntry[]): string {
  return [
    'spane: the command line of a SPANE server',
    '',
    'Usage: spane [--url <url>] [--json] <command> [arguments] [options]',
    '',
    'Commands:',
    ...commandRows(entries),
    '',
    'Options (every command):',
    ...optionLines({
      ...GLOBAL_OPTIONS,
      version: { type: 'boolean', description: 'print the version of spane' },
    }),
    '',
    ...ENVIRONMENT,
    '',
    ...EXIT_CODES,
    '',
    'Run "spane <command> --help" for the options of a command.',
    '',
  ].join('\n');
}

/** `spane workflows --help`: the commands of a group. */
export function groupHelp(group: CommandGroup): string {
  return [
    `spane ${group.name}: ${group.summary}`,
    '',
    'Commands:',
    ...commandRows([group]),
    '',
    `Run "spane ${group.name} <command> --help" for the options of a command.`,
    '',
  ].join('\n');
}

/** `spane workflows get --help`: one command. */
export function commandHelp(path: string, command: Command): string {
  const args = command.args ?? [];
  const width = Math.max(0, ...args.map((a) => a.name.length + 2));
  return [
    `Usage: ${synopsis(path, command)}`,
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
    ...(args.length > 0
      ? ['', 'Arguments:', ...args.map((a) => `  ${`<${a.name}>`.padEnd(width)}  ${a.description}`)]
      : []),
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
    ...EXIT_CODES,
    '',
  ].join('\n');
}
