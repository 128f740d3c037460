/**
 * The size of a value as JSON, measured without serialising it, and stopped as soon as it
 * passes a limit: the cheap first look of `storableJsonText`, so that finding a value too
 * large never costs more than the limit (a sparse array of 100 million slots takes a few
 * steps, not a 500 MB string).
 */

/** What {@link surveyJson} found. */
export type Survey =
  /** The exact UTF-8 byte length of `JSON.stringify(value)`. */
  | { kind: 'bytes'; bytes: number }
  /** More than the limit: at least `atLeastBytes` (counted so far; `exact` when that was all). */
  | { kind: 'tooLarge'; atLeastBytes: number; exact: boolean }
  /**
   * Something this walk cannot measure or that may not be storable: a `toJSON` (other than
   * a `Date`'s), a boxed primitive, a `BigInt`, a function, a symbol, U+0000 or a lone
   * surrogate in a string or key, nesting deeper than the limit (a cycle included), a getter that throws.
   */
  | { kind: 'suspect' };

/** Strings made of printable ASCII other than `"` and `\`: their JSON is the text quoted. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `text` as a JSON string (quotes and escapes included). */
export function jsonStringBytes(text: string): number {
  return PLAIN.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text), 'utf8');
}

/**
 * Why no store can keep `text` unchanged, or undefined: U+0000 (PostgreSQL refuses it) or a
 * lone UTF-16 surrogate, e.g. `"\ud800"` (PostgreSQL's jsonb refuses its escape; text
 * encoded as UTF-8 turns it into U+FFFD; the memory store would keep it — the stores would
 * disagree).
 */
export function unstorableStringReason(text: string): string | undefined {
  if (PLAIN.test(text)) return undefined;
  if (text.includes('\u0000')) return 'the character U+0000';
  // String.prototype.isWellFormed (ES2024, Node.js 20): false for a lone surrogate.
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    return 'a lone UTF-16 surrogate (U+D800 to U+DFFF without its pair)';
  }
  return undefined;
}

/** {@link jsonStringBytes}, or {@link SUSPECT} for a string no store keeps unchanged. */
function storableStringBytes(text: string): number {
  if (PLAIN.test(text)) return text.length + 2;
  return unstorableStringReason(text) === undefined
    ? Buffer.byteLength(JSON.stringify(text), 'utf8')
    : SUSPECT;
}

/** Bytes of a `Date` as JSON: its ISO string quoted, or `null` for an invalid date. */
function dateBytes(date: Date): number {
  return Number.isNaN(date.getTime()) ? 4 : date.toISOString().length + 2;
}

/** A `Number`, `String` or `Boolean` object, which JSON writes as its primitive value. */
function isBoxed(v: object): boolean {
  return v instanceof Number || v instanceof String || v instanceof Boolean;
}

const SUSPECT = -1;
const CONTAINER = -2;

/**
 * Bytes of a value that is not an array or a plain object, as JSON (`undefined` as in an
 * array: `null`); {@link CONTAINER} for one that is; {@link SUSPECT} for one this module
 * does not measure.
 */
function leafBytes(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return storableStringBytes(v);
    case 'number':
      return Number.isFinite(v) ? String(v).length : 4;
    case 'boolean':
      return v ? 4 : 5;
    case 'undefined':
      return 4;
    case 'object':
      if (v === null) return 4;
      if (v instanceof Date && v.toJSON === Date.prototype.toJSON) return dateBytes(v);
      if (isBoxed(v) || typeof (v as { toJSON?: unknown }).toJSON === 'function') return SUSPECT;
      return CONTAINER;
    default:
      return SUSPECT;
  }
}

/**
 * Bytes of a value returned by a replacer of `JSON.stringify` (after `toJSON`), when it is
 * not an array or an object: boxed primitives count as their value.
 */
export function serialisedLeafBytes(v: unknown): number | undefined {
  if (typeof v === 'object' && v !== null) {
    return isBoxed(v) ? serialisedLeafBytes((v as { valueOf(): unknown }).valueOf()) : undefined;
  }
  if (typeof v === 'string') return jsonStringBytes(v);
  const bytes = leafBytes(v);
  return bytes < 0 ? undefined : bytes;
}

/** Bytes an array of `length` items takes at least: brackets, commas and one byte each. */
export function arrayMinBytes(length: number): number {
  return length === 0 ? 2 : 2 * length + 1;
}

/**
 * Measures `value` as `JSON.stringify` would write it, in the order it would, stopping at
 * the first thing it cannot measure or as soon as the count passes `maxBytes` (an array's
 * smallest possible size is counted before its items are looked at). Never calls `toJSON`.
 * Work is bounded by `maxBytes`: every step adds at least one byte.
 */
export function surveyJson(value: unknown, maxDepth: number, maxBytes: number): Survey {
  try {
    return walk(value, maxDepth, maxBytes);
  } catch {
    return { kind: 'suspect' }; // a getter or a proxy trap threw: the careful pass says what
  }
}

function walk(value: unknown, maxDepth: number, maxBytes: number): Survey {
  // A stack of values still to measure, each with its depth and the bytes written before
  // it (a key, a comma); pushed in reverse so they are measured in the order of the text.
  const values: unknown[] = [value];
  const depths: number[] = [1];
  const before: number[] = [0];
  let bytes = 0;
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    bytes += before.pop()!;
    const leaf = leafBytes(v);
    if (leaf === SUSPECT || (leaf === CONTAINER && depth > maxDepth)) return { kind: 'suspect' };
    if (leaf !== CONTAINER) {
      bytes += leaf;
    } else if (Array.isArray(v)) {
      if (bytes + arrayMinBytes(v.length) > maxBytes) {
        return { kind: 'tooLarge', atLeastBytes: bytes + arrayMinBytes(v.length), exact: false };
      }
      bytes += v.length === 0 ? 2 : v.length + 1;
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i]);
        depths.push(depth + 1);
        before.push(0);
      }
    } else {
      bytes += 2;
      const pushed = pushEntries(v as Record<string, unknown>, depth + 1, values, depths, before);
      if (!pushed) return { kind: 'suspect' };
    }
    if (bytes > maxBytes) {
      return { kind: 'tooLarge', atLeastBytes: bytes, exact: values.length === 0 };
    }
  }
  return { kind: 'bytes', bytes };
}

/**
 * Pushes an object's entries that JSON writes (not those whose value is `undefined`), last
 * first (read in that order, no list of entries built: this runs for every object of every
 * node output), each with the bytes of its key, colon and comma. False (pushing nothing more) at a key that
 * no store keeps unchanged (U+0000, a lone surrogate).
 */
function pushEntries(
  record: Record<string, unknown>,
  depth: number,
  values: unknown[],
  depths: number[],
  before: number[],
): boolean {
  const keys = Object.keys(record);
  const start = before.length;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    const v = record[key];
    if (v === undefined) continue;
    const keyBytes = storableStringBytes(key);
    if (keyBytes === SUSPECT) return false;
    values.push(v);
    depths.push(depth);
    before.push(keyBytes + 2); // key, colon and the comma before it…
  }
  const first = before.length - 1;
  if (first >= start) before[first] = before[first]! - 1; // …but the first has none
  return true;
}
