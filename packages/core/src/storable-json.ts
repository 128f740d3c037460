import {
  arrayMinBytes,
  jsonStringBytes,
  serialisedLeafBytes,
  surveyJson,
  unstorableStringReason,
} from './json-survey.js';

/** Why a value cannot be stored as JSON, and where. */
export interface Unstorable {
  /** JSON pointer to the offending part (`''`: the value itself, or a place not known). */
  path: string;
  /** What is wrong, for people (e.g. `a BigInt`). */
  reason: string;
}

/** Thrown inside the replacer to stop `JSON.stringify` at the first offending part. */
class UnstorableFound extends Error {
  constructor(readonly found: Unstorable) {
    super(found.reason);
  }
}

/** Thrown inside the replacer to stop `JSON.stringify` once the text would pass the limit. */
class TooLargeFound extends Error {
  constructor(readonly atLeastBytes: number) {
    super('too large');
  }
}

/** `value` as JSON text, or why it cannot be stored, or that it is larger than the limit. */
export type BoundedJsonText =
  | { text: string | undefined }
  | { unstorable: Unstorable }
  /**
   * Larger than the limit: at least `atLeastBytes` (counted before the check stopped;
   * `exact` when the whole value was counted).
   */
  | { tooLarge: { atLeastBytes: number; exact: boolean } };

function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The reason a primitive cannot be stored, or undefined when it can. */
function primitiveProblem(v: unknown): string | undefined {
  switch (typeof v) {
    case 'bigint':
      return 'a BigInt';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'string': {
      const reason = unstorableStringReason(v);
      return reason === undefined ? undefined : `a string containing ${reason}`;
    }
    default:
      return undefined;
  }
}

/**
 * Counts the bytes `JSON.stringify` writes as its replacer sees each value (after `toJSON`),
 * and throws {@link TooLargeFound} as soon as the count passes `maxBytes`.
 */
class ByteCounter {
  #bytes = 0;
  /** Objects whose first entry was written (the next one needs a comma). */
  readonly #opened = new WeakSet<object>();

  constructor(readonly maxBytes: number) {}

  /** Counts `v` written under `key` of `holder` (no holder: the value itself). */
  add(holder: object | undefined, key: string, v: unknown): void {
    if (holder !== undefined) {
      if (Array.isArray(holder)) {
        if (key !== '0') this.#bytes += 1;
      } else {
        if (v === undefined) return; // left out, key and all
        this.#bytes += jsonStringBytes(key) + 1 + (this.#opened.has(holder) ? 1 : 0);
        this.#opened.add(holder);
      }
    } else if (v === undefined) {
      return;
    }
    const leaf = serialisedLeafBytes(v);
    if (leaf !== undefined) this.#bytes += leaf;
    else if (Array.isArray(v)) {
      this.#check(this.#bytes + arrayMinBytes(v.length));
      this.#bytes += 2; // the commas are counted with the items
    } else {
      this.#bytes += 2;
      this.#opened.delete(v as object); // an object written twice (shared) starts afresh
    }
    this.#check(this.#bytes);
  }

  #check(bytes: number): void {
    if (bytes > this.maxBytes) throw new TooLargeFound(bytes);
  }
}

/**
 * `value` as JSON text, or the first part of it that cannot be stored (see
 * {@link storableJsonText}), or that it passes `maxBytes`. One pass of `JSON.stringify`
 * with a replacer, so each `toJSON` runs once, and none after the limit is passed.
 */
function stringifyChecked(value: unknown, maxDepth: number, maxBytes: number): BoundedJsonText {
  const depthOf = new WeakMap<object, number>();
  const pathOf = new WeakMap<object, string>();
  const counter = new ByteCounter(maxBytes);
  let lastPath = '';
  const check = function (this: unknown, key: string, v: unknown): unknown {
    const holder = this as object;
    const parentPath = pathOf.get(holder);
    // The root's holder is JSON.stringify's own wrapper `{ "": value }`, which has no path.
    const path = parentPath === undefined ? '' : `${parentPath}/${pointerKey(key)}`;
    lastPath = path;
    const keyReason = parentPath === undefined ? undefined : unstorableStringReason(key);
    if (keyReason !== undefined) {
      throw new UnstorableFound({ path, reason: `a key containing ${keyReason}` });
    }
    const problem = primitiveProblem(v);
    if (problem !== undefined) throw new UnstorableFound({ path, reason: problem });
    counter.add(parentPath === undefined ? undefined : holder, key, v);
    if (typeof v !== 'object' || v === null) return v;
    const depth = (depthOf.get(holder) ?? 0) + 1;
    if (depth > maxDepth) {
      const reason = `nesting deeper than ${maxDepth} levels of objects and arrays`;
      throw new UnstorableFound({ path, reason });
    }
    depthOf.set(v, depth);
    pathOf.set(v, path);
    return v;
  };
  try {
    return { text: JSON.stringify(value, check) };
  } catch (error) {
    if (error instanceof UnstorableFound) return { unstorable: error.found };
    if (error instanceof TooLargeFound) {
      return { tooLarge: { atLeastBytes: error.atLeastBytes, exact: false } };
    }
    // JSON.stringify's own errors: a cycle (a TypeError, right after the replacer saw the
    // object that closes it), or whatever a `toJSON` threw (its place is not known).
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    return /circular/i.test(message)
      ? { unstorable: { path: lastPath, reason: 'a circular reference' } }
      : { unstorable: { path: '', reason: `an error while serialising it: ${message}` } };
  }
}

/**
 * `value` as JSON text that every store keeps and reads back as it was, or the first part
 * of it that cannot be stored, or — as soon as the text would pass `maxBytes` bytes of
 * UTF-8 — that it is too large; whichever comes first in the order of the text. Never
 * writes more than `maxBytes` of text to find out (a sparse array of 100 million slots is
 * refused in a few steps) and calls no `toJSON` past the limit.
 *
 * Not storable: a `BigInt`, a function or a symbol (JSON would throw or silently drop it),
 * a circular reference, a `toJSON` that throws, a string or object key containing U+0000
 * or a lone UTF-16 surrogate (PostgreSQL cannot store them unchanged, so no store accepts
 * them), nesting deeper than `maxDepth`
 * levels of objects and arrays. `undefined` properties are left out, as JSON does; a
 * top-level `undefined` gives `text: undefined`. A walk that measures the value without
 * serialising it comes first; a value it measures within the limit is written by a plain
 * `JSON.stringify`, and only one with a `toJSON` or something suspect takes the careful
 * pass, which counts as it writes and names the offending part.
 */
export function boundedJsonText(
  value: unknown,
  maxDepth: number,
  maxBytes: number,
): BoundedJsonText {
  if (value === undefined) return { text: undefined };
  const survey = surveyJson(value, maxDepth, maxBytes);
  if (survey.kind === 'tooLarge') {
    return { tooLarge: { atLeastBytes: survey.atLeastBytes, exact: survey.exact } };
  }
  if (survey.kind === 'bytes') {
    try {
      return { text: JSON.stringify(value) };
    } catch {
      // a getter that throws only now: the careful pass says where
    }
  }
  return stringifyChecked(value, maxDepth, maxBytes);
}

/**
 * `value` as JSON text that every store keeps and reads back as it was, or the first part
 * of it that cannot be stored ({@link boundedJsonText} without a size limit).
 */
export function storableJsonText(
  value: unknown,
  maxDepth: number,
): { text: string | undefined } | { unstorable: Unstorable } {
  return boundedJsonText(value, maxDepth, Number.POSITIVE_INFINITY) as
    | { text: string | undefined }
    | { unstorable: Unstorable };
}

/** What in `value` cannot be stored as JSON (see {@link storableJsonText}), or undefined. */
export function findUnstorable(value: unknown, maxDepth: number): Unstorable | undefined {
  const result = storableJsonText(value, maxDepth);
  return 'unstorable' in result ? result.unstorable : undefined;
}
