import type { TextOutput } from './command.js';

/** Writes a value as indented JSON and a newline. */
export function writeJson(out: TextOutput, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes lines, each ended by a newline. */
export function writeLines(out: TextOutput, ...lines: string[]): void {
  out.write(lines.map((line) => `${line}\n`).join(''));
}

/**
 * A table for people: a header row and left-aligned columns two spaces apart (the last
 * one not padded). Newlines and tabs in cells become spaces.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const clean = (cell: string) => cell.replace(/[\r\n\t]+/g, ' ');
  const all = [headers, ...rows].map((row) => row.map(clean));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** An ISO timestamp for a table: `2025-06-01 12:00:03Z`; anything else as it is. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

/** A long text cut to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
