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
    case 'string':
      return v.includes('\u0000') ? 'a string containing the character U+0000' : undefined;
    default:
      return undefined;
  }
}

/**
 * `value` as JSON text, or the first part of it that cannot be stored (see
 * {@link storableJsonText}). One pass of `JSON.stringify`, so each `toJSON` runs once.
 */
function stringifyChecked(
  value: unknown,
  maxDepth: number,
): { text: string | undefined } | { unstorable: Unstorable } {
  const depthOf = new WeakMap<object, number>();
  const pathOf = new WeakMap<object, string>();
  let lastPath = '';
  const check = function (this: unknown, key: string, v: unknown): unknown {
    const holder = this as object;
    const parentPath = pathOf.get(holder);
    // The root's holder is JSON.stringify's own wrapper `{ "": value }`, which has no path.
    const path = parentPath === undefined ? '' : `${parentPath}/${pointerKey(key)}`;
    lastPath = path;
    if (parentPath !== undefined && key.includes('\u0000')) {
      throw new UnstorableFound({ path, reason: 'a key containing the character U+0000' });
    }
    const problem = primitiveProblem(v);
    if (problem !== undefined) throw new UnstorableFound({ path, reason: problem });
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
    // JSON.stringify's own errors: a cycle (a TypeError, right after the replacer saw the
    // object that closes it), or whatever a `toJSON` threw (its place is not known).
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    return /circular/i.test(message)
      ? { unstorable: { path: lastPath, reason: 'a circular reference' } }
      : { unstorable: { path: '', reason: `an error while serialising it: ${message}` } };
  }
}

/**
 * True when `value` may hold something plain `JSON.stringify` drops or that is too deep: a
 * function or a symbol, an object deeper than `maxDepth`, or an object with its own
 * `toJSON` (other than a `Date`'s), whose result this walk of the original cannot see.
 * A cheap first look (the careful pass costs several times a plain `JSON.stringify`).
 */
function mayBeUnstorable(value: unknown, maxDepth: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()! + 1;
    const type = typeof v;
    if (type === 'function' || type === 'symbol') return true;
    if (type !== 'object' || v === null || v instanceof Date) continue;
    if (depth > maxDepth || typeof (v as { toJSON?: unknown }).toJSON === 'function') return true;
    if (Array.isArray(v)) {
      for (const item of v) {
        values.push(item);
        depths.push(depth);
      }
    } else {
      const record = v as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        values.push(record[key]);
        depths.push(depth);
      }
    }
  }
  return false;
}

/**
 * `value` as JSON text that every store keeps and reads back as it was, or the first part
 * of it that cannot be stored: a `BigInt`, a function or a symbol (JSON would throw or
 * silently drop it), a circular reference, a `toJSON` that throws, a string or object key
 * containing U+0000 (PostgreSQL cannot store it, so no store accepts it), nesting deeper
 * than `maxDepth` levels of objects and arrays. `undefined` properties are left out, as
 * JSON does; a top-level `undefined` gives `text: undefined`. A plain `JSON.stringify` and
 * a walk of the value come first; only a value they find suspect takes the careful pass
 * that names the offending part (running its `toJSON` methods a second time).
 */
export function storableJsonText(
  value: unknown,
  maxDepth: number,
): { text: string | undefined } | { unstorable: Unstorable } {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return stringifyChecked(value, maxDepth);
  }
  // JSON escapes U+0000 as \u0000 (in strings and keys); an escaped backslash followed by
  // "u0000" matches too, and the careful pass then finds nothing.
  if (text?.includes('\\u0000') || mayBeUnstorable(value, maxDepth)) {
    return stringifyChecked(value, maxDepth);
  }
  return { text };
}

/** What in `value` cannot be stored as JSON (see {@link storableJsonText}), or undefined. */
export function findUnstorable(value: unknown, maxDepth: number): Unstorable | undefined {
  const result = storableJsonText(value, maxDepth);
  return 'unstorable' in result ? result.unstorable : undefined;
}
