import { InvalidArgumentError, toJsonText } from '@spane/core/store';
import pg from 'pg';

/**
 * A small SQL text builder. The store sends each operation as one or two batches of
 * statements over the simple query protocol (several statements, one round trip), which
 * cannot carry bind parameters; values are therefore rendered as literals here, through
 * pg's `escapeLiteral` for strings and explicit casts for everything else. Every value
 * that reaches SQL text goes through {@link sql}; nothing is concatenated elsewhere.
 */
export class Sql {
  constructor(readonly text: string) {}
}

/** Values {@link sql} renders. Arrays become `text[]` (null elements allowed). */
export type SqlValue =
  | Sql
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | null)[];

/** Raw SQL text: only for constants written in this package. */
export function raw(text: string): Sql {
  return new Sql(text);
}

const PREVIEW = 40;

function preview(value: string): string {
  const shown = value.length > PREVIEW ? `${value.slice(0, PREVIEW)}…` : value;
  return JSON.stringify(shown);
}

/** `value` itself, for a bind parameter. @throws InvalidArgumentError for U+0000, which PostgreSQL cannot store. */
export function checkText<T extends string | null | undefined>(value: T): T {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new InvalidArgumentError(
      `PostgreSQL cannot store the character U+0000 in text: ${preview(value)}`,
    );
  }
  return value;
}

/** A string literal. @throws InvalidArgumentError for U+0000, which PostgreSQL cannot store. */
export function literal(value: string): string {
  return pg.escapeLiteral(checkText(value));
}

function render(value: SqlValue): string {
  if (value instanceof Sql) return value.text;
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return literal(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`not a finite number: ${value}`);
    return value < 0 || Object.is(value, -0) ? `(${value})` : String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Array.isArray(value)) {
    return `ARRAY[${value.map((v) => (v === null ? 'NULL' : literal(v))).join(', ')}]::text[]`;
  }
  throw new TypeError(`cannot render ${typeof value} as SQL`);
}

/** SQL text with values rendered as literals. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1]!;
  return new Sql(text);
}

/** Joins fragments with `separator`. */
export function join(parts: readonly Sql[], separator = ', '): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}

/** A quoted identifier. */
export function ident(name: string): Sql {
  return new Sql(pg.escapeIdentifier(name));
}

/** Path (JSON pointer) of the first string or key holding U+0000 in a parsed JSON value. */
function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key.includes('\u0000')) return at;
      const found = findNul(v, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * JSON text of a value for a jsonb column (`given`: the value's text, when the caller has it).
 * @throws InvalidArgumentError when it is not JSON, or holds U+0000 (jsonb cannot store it).
 */
export function jsonText(value: unknown, what: string, given?: string): string {
  const text = given ?? toJsonText(value, what);
  // JSON.stringify writes U+0000 as the escape \u0000; a backslash followed by "u0000"
  // also matches, so confirm on the value before refusing.
  if (text.includes('\\u0000')) {
    const at = findNul(JSON.parse(text), '');
    if (at !== undefined) {
      throw new InvalidArgumentError(
        `${what} contains the character U+0000 (at ${at}), which PostgreSQL cannot store in jsonb`,
        { path: at },
      );
    }
  }
  return text;
}

/** A jsonb literal, or NULL when `value` is undefined (absent). JSON `null` stays `'null'::jsonb`. */
export function json(value: unknown, what: string): Sql {
  if (value === undefined) return raw('NULL');
  return new Sql(`${literal(jsonText(value, what))}::jsonb`);
}

/** A date as ISO-8601 UTC text. @throws InvalidArgumentError when `value` is not a date. */
export function isoDate(value: string, what: string): string {
  const known = recentDates.get(value);
  if (known !== undefined) return known;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${what}: invalid date '${value}'`);
  const text = new Date(ms).toISOString();
  // A completion's span and log lines share a few timestamps, as do the batch's others.
  if (recentDates.size >= 64) recentDates.clear();
  recentDates.set(value, text);
  return text;
}

/** Dates given to isoDate lately, and their ISO text. */
const recentDates = new Map<string, string>();

/** A timestamptz literal. @throws InvalidArgumentError when `value` is not a date. */
export function timestamp(value: string, what: string): Sql {
  return new Sql(`'${isoDate(value, what)}'::timestamptz`);
}

/** The store's clock: the transaction's start time, at millisecond precision. */
export const NOW = raw(`date_trunc('milliseconds', now())`);

/** A timestamptz column as an ISO-8601 UTC string (whatever the session's DateStyle). */
export function iso(column: string, alias = column): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${alias}`;
}
