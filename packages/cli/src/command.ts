import type { SpaneClient } from './client.js';

/** Where a stream of text goes: `process.stdout`, `process.stderr`, or a test's buffer. */
export interface TextOutput {
  /** Writes text as it is (no newline added). */
  write(text: string): unknown;
  /** True when it is a terminal: progress then updates one line in place. */
  isTTY?: boolean;
  /** Width of the terminal, when it is one. */
  columns?: number;
}

/** What the CLI reads from and writes to; {@link runCli} takes the process's by default. */
export interface CliIo {
  /** Results: tables, JSON, ids. */
  stdout: TextOutput;
  /** Errors and the progress line. */
  stderr: TextOutput;
  /** Read for the file name `-` (e.g. `workflows register -`). */
  stdin: AsyncIterable<string | Uint8Array>;
  /** `SPANE_URL` and `SPANE_API_KEY` are read from here. */
  env: Readonly<Record<string, string | undefined>>;
  /** File names are resolved from here. */
  cwd: string;
}

/** One option of a command, for `util.parseArgs` and the help text. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How the help shows the value, e.g. `<json>`. */
  value?: string;
  description: string;
}

/** One positional argument of a command. */
export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
}

/** A command's parsed command line: positionals by their {@link ArgSpec} name, and options. */
export interface CommandInput {
  args: Readonly<Record<string, string | undefined>>;
  options: Readonly<Record<string, string | boolean | undefined>>;
}

/** What a command runs with. */
export interface CommandContext {
  client: SpaneClient;
  io: CliIo;
  /** `--json`: print machine-readable JSON on stdout instead of text for people. */
  json: boolean;
}

/** A command: `spane run`, or `spane workflows list` inside its group. */
export interface Command {
  name: string;
  /** One line for the command lists. */
  summary: string;
  /** More lines for its own help. */
  description?: string;
  args?: readonly ArgSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Runs the command; resolves to the exit code. Errors are reported by the caller. */
  run(ctx: CommandContext, input: CommandInput): Promise<number>;
}

/** A group of commands under one word: `spane workflows list|get|register`. */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: readonly Command[];
}

/** A top-level entry: a command or a group. */
export type CommandEntry = Command | CommandGroup;

/** True for a {@link CommandGroup}. */
export function isGroup(entry: CommandEntry): entry is CommandGroup {
  return 'commands' in entry;
}

/** Exit codes of `spane`. */
export const EXIT = Object.freeze({
  /** Done; a waited-for execution completed. */
  OK: 0,
  /** The server refused the request, or a waited-for execution failed or was cancelled. */
  FAILED: 1,
  /** Bad command line or input: the command's help is printed. */
  USAGE: 2,
  /** The server did not answer (or answered 502–504), or `--timeout` ran out. */
  UNAVAILABLE: 3,
});

/**
 * A bad command line. The command's help is printed after the message (`help`, or the
 * help of the command that threw it); the exit code is {@link EXIT}.USAGE.
 */
export class UsageError extends Error {
  readonly help: string | undefined;
  constructor(message: string, help?: string) {
    super(message);
    this.name = 'UsageError';
    this.help = help;
  }
}

/**
 * Input that cannot be used (a file that cannot be read, JSON that does not parse): a
 * usage error printed without the command's help.
 */
export class InputError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** `--timeout` ran out while waiting for an execution; the exit code is {@link EXIT}.UNAVAILABLE. */
export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}
