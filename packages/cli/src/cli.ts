import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpaneClient } from './client.js';
import {
  type CliIo,
  type Command,
  type CommandEntry,
  type CommandInput,
  EXIT,
  InputError,
  isGroup,
  UsageError,
} from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, DEFAULT_URL, GLOBAL_OPTIONS, groupHelp, rootHelp } from './help.js';
import { reportError } from './report-error.js';

/** `io` completed with the process's streams, environment and working directory. */
function withProcessIo(io: Partial<CliIo>): CliIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    // Touched only when read (`-` as a file name).
    stdin: io.stdin ?? { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() },
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

/** A command found on the command line: where its own arguments start. */
interface Found {
  command: Command;
  /** `workflows list`: the words that named it. */
  path: string;
  /** Global flags before the command words, and everything after them. */
  rest: string[];
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/**
 * Finds the command: `spane [global flags] <group> <command> …` or `spane [flags] <command> …`.
 * Prints root or group help and returns an exit code when there is no command to run.
 */
function findCommand(argv: readonly string[], io: CliIo): Found | number {
  let i = 0;
  // Global flags may come before the command words; --url takes a value.
  while (argv[i]?.startsWith('-')) i += argv[i] === '--url' ? 2 : 1;
  const leading = argv.slice(0, i);
  const word = argv[i];
  if (word === undefined || word === 'help') {
    if (word === undefined && !leading.some(isHelp)) {
      if (leading.includes('--version')) {
        io.stdout.write(`${version()}\n`);
        return EXIT.OK;
      }
      throw new UsageError('no command given', rootHelp(COMMANDS));
    }
    const path = argv.slice(i + 1).filter((a) => !a.startsWith('-'));
    return printHelp(path, io);
  }
  const entry = COMMANDS.find((e) => e.name === word);
  if (entry === undefined) throw new UsageError(`unknown command '${word}'`, rootHelp(COMMANDS));
  if (!isGroup(entry)) {
    return { command: entry, path: entry.name, rest: [...leading, ...argv.slice(i + 1)] };
  }
  const sub = argv[i + 1];
  if (isHelp(sub) || (sub === undefined && leading.some(isHelp))) {
    io.stdout.write(groupHelp(entry));
    return EXIT.OK;
  }
  if (sub === undefined) throw new UsageError(`'${word}' needs a command`, groupHelp(entry));
  const command = entry.commands.find((c) => c.name === sub);
  if (command === undefined) {
    throw new UsageError(`unknown command '${word} ${sub}'`, groupHelp(entry));
  }
  return { command, path: `${word} ${sub}`, rest: [...leading, ...argv.slice(i + 2)] };
}

/** `spane help [group [command]]`. */
function printHelp(path: readonly string[], io: CliIo): number {
  const entry: CommandEntry | undefined = COMMANDS.find((e) => e.name === path[0]);
  if (entry === undefined) {
    if (path.length > 0) throw new UsageError(`unknown command '${path[0]}'`, rootHelp(COMMANDS));
    io.stdout.write(rootHelp(COMMANDS));
  } else if (!isGroup(entry)) {
    io.stdout.write(commandHelp(entry.name, entry));
  } else {
    const command = entry.commands.find((c) => c.name === path[1]);
    io.stdout.write(
      command ? commandHelp(`${entry.name} ${command.name}`, command) : groupHelp(entry),
    );
  }
  return EXIT.OK;
}

/** Parses a command's own arguments against its options and the global ones. */
function parseCommandLine(found: Found): { input: CommandInput; global: Record<string, unknown> } {
  const { command, path, rest } = found;
  const help = commandHelp(path, command);
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad arguments', help);
  }
  const { values, positionals } = parsed;
  const specs = command.args ?? [];
  const args: Record<string, string | undefined> = {};
  if (!values.help) {
    const missing = specs.slice(positionals.length).find((a) => !a.optional);
    if (missing) throw new UsageError(`missing <${missing.name}>`, help);
    if (positionals.length > specs.length) {
      throw new UsageError(`unexpected argument '${positionals[specs.length]}'`, help);
    }
    specs.forEach((spec, n) => {
      args[spec.name] = positionals[n];
    });
  }
  const { url, json, help: wantsHelp, ...own } = values as Record<string, string | boolean>;
  return { input: { args, options: own }, global: { url, json, help: wantsHelp } };
}

/** The server URL: `--url`, else `SPANE_URL`, else the default; it must be http(s). */
function serverUrl(flag: unknown, io: CliIo): string {
  const url = (typeof flag === 'string' ? flag : undefined) || io.env.SPANE_URL || DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`'${url}' is not a URL (--url or SPANE_URL)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InputError(`'${url}' is not an http:// or https:// URL (--url or SPANE_URL)`);
  }
  return url;
}

/**
 * Runs the `spane` command line and resolves to its exit code (it does not exit the
 * process). `argv` is without `node` and the script (`process.argv.slice(2)`). Results go to
 * `io.stdout`, errors and progress to `io.stderr`; `io` defaults to the process's own.
 * Errors are printed as `spane: …`, never thrown.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = withProcessIo(io);
  let found: Found | number | undefined;
  try {
    found = findCommand(argv, cli);
    if (typeof found === 'number') return found;
    const { input, global } = parseCommandLine(found);
    if (global.help) {
      cli.stdout.write(commandHelp(found.path, found.command));
      return EXIT.OK;
    }
    const apiKey = cli.env.SPANE_API_KEY || undefined;
    const client = new SpaneClient({
      url: serverUrl(global.url, cli),
      ...(apiKey ? { apiKey } : {}),
    });
    return await found.command.run({ client, io: cli, json: global.json === true }, input);
  } catch (err) {
    if (
      err instanceof UsageError &&
      !(err instanceof InputError) &&
      !err.help &&
      typeof found === 'object'
    ) {
      return reportError(new UsageError(err.message, commandHelp(found.path, found.command)), cli);
    }
    return reportError(err, cli);
  }
}
