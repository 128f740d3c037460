import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CliIo, InputError, UsageError } from './command.js';

/** Reads all of stdin as text. */
export async function readStdin(io: CliIo): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of io.stdin) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** Parses JSON text; `what` names it in the error. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Reads and parses a JSON file, its path resolved from the working directory; `-` reads
 * stdin.
 * @throws InputError when it cannot be read or is not JSON
 */
export async function readJsonFile(io: CliIo, path: string): Promise<unknown> {
  if (path === '-') return parseJson(await readStdin(io), 'stdin');
  const full = resolve(io.cwd, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code;
    throw new InputError(`cannot read ${path}: ${why ?? (err as Error).message}`);
  }
  return parseJson(text, path);
}

/**
 * A positive number of an option (`--timeout 30`, `--limit 10`).
 * @throws UsageError when it is not one
 */
export function positiveNumber(
  value: string,
  option: string,
  { integer = false }: { integer?: boolean } = {},
): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${option} must be a positive ${integer ? 'integer' : 'number'}, not '${value}'`,
    );
  }
  return n;
}
