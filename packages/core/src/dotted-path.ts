import { NonRetryableError } from './errors.js';

/**
 * Dotted paths (`a.b.0.c`): how SPANE names a place in a JSON value — sub-workflow
 * mappings (`input.profile`), the server's `transform` and `switch` node types, and any
 * node type of your own. Paths are data, never code. A malformed path is the node's
 * configuration error, so these throw {@link NonRetryableError} (retrying cannot help).
 */

/** Keys that would reach an object's prototype; refused in every path. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Largest array index a dotted path may create. {@link setPath} refuses an index that is
 * above both this and the array's length (an existing element, or the next one, may
 * always be set), so that one path cannot turn `[]` into 100 million empty slots; and
 * {@link settablePathProblem} refuses any segment of digits above it.
 */
export const MAX_PATH_INDEX = 10_000;

const DIGITS = /^\d+$/;

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * Splits a dotted path (`a.b.0.c`) into its keys. Paths are data, never code: no
 * brackets, no expressions.
 * @throws NonRetryableError for an empty path or segment, or a prototype key
 */
export function parsePath(path: string): string[] {
  const problem = pathProblem(path, false);
  if (problem !== undefined) throw new NonRetryableError(problem);
  return path.split('.');
}

/** Why `path` is not a dotted path (with `indexBound`: or has an index above the bound). */
function pathProblem(path: unknown, indexBound: boolean): string | undefined {
  if (typeof path !== 'string' || path === '') return 'a path must be a non-empty string';
  for (const key of path.split('.')) {
    if (key === '') return `path '${path}' has an empty segment`;
    if (FORBIDDEN.has(key)) return `path '${path}' uses the reserved key '${key}'`;
    if (indexBound && DIGITS.test(key) && Number(key) > MAX_PATH_INDEX) {
      return `path '${path}' has the array index ${key}; an index may be at most ${MAX_PATH_INDEX}`;
    }
  }
  return undefined;
}

/**
 * Why `path` cannot be a path to read (for checking a configuration before it runs), or
 * undefined: what {@link parsePath} refuses — not a non-empty string, an empty segment, a
 * reserved key (`__proto__`, `constructor`, `prototype`).
 */
export function readablePathProblem(path: unknown): string | undefined {
  return pathProblem(path, false);
}

/**
 * Why `path` cannot be a path to set (for checking a configuration before it runs), or
 * undefined: what {@link parsePath} refuses, and a segment of digits above
 * {@link MAX_PATH_INDEX} (it would name an index that {@link setPath} may refuse to
 * create; an object key of more digits cannot be set by a path either).
 */
export function settablePathProblem(path: unknown): string | undefined {
  return pathProblem(path, true);
}

function ownChild(container: unknown, key: string): unknown {
  if (!isContainer(container)) return undefined;
  if (Array.isArray(container)) return /^\d+$/.test(key) ? container[Number(key)] : undefined;
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

/** The value at `keys` (own properties and array indexes only), or undefined. */
export function getPath(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    current = ownChild(current, key);
    if (current === undefined) return undefined;
  }
  return current;
}

/** True when a value (possibly `null`) exists at `keys`. */
export function hasPath(value: unknown, keys: readonly string[]): boolean {
  const parent = getPath(value, keys.slice(0, -1));
  const last = keys[keys.length - 1]!;
  if (!isContainer(parent)) return false;
  if (Array.isArray(parent)) return /^\d+$/.test(last) && Number(last) < parent.length;
  return Object.hasOwn(parent, last);
}

/** @throws NonRetryableError unless `key` is an index `setPath` may set in `array`. */
function checkIndex(array: unknown[], keys: readonly string[], key: string): void {
  if (!DIGITS.test(key)) {
    throw new NonRetryableError(`cannot set '${keys.join('.')}': '${key}' is not an array index`);
  }
  const index = Number(key);
  if (index > array.length && index > MAX_PATH_INDEX) {
    throw new NonRetryableError(
      `cannot set '${keys.join('.')}': index ${key} is past the end of the array (${array.length} items) and above ${MAX_PATH_INDEX}, the largest index a path may create`,
    );
  }
}

/**
 * Sets the value at `keys`, creating objects for missing levels. In an array, an index
 * may name an element, the next one, or any up to {@link MAX_PATH_INDEX}.
 * @throws NonRetryableError when a level on the way holds a value that is not an object,
 * or a key in an array is not an index it may set
 */
export function setPath(target: Container, keys: readonly string[], value: unknown): void {
  let current: Container = target;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    if (Array.isArray(current)) checkIndex(current, keys, key);
    const record = current as Record<string, unknown>;
    if (last) {
      // defineProperty: a plain assignment of a key like "__proto__" could not happen
      // (refused by parsePath), but this also never calls a setter.
      Object.defineProperty(record, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return;
    }
    const next = ownChild(current, key);
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      Object.defineProperty(record, key, {
        value: created,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      current = created;
    } else if (isContainer(next)) {
      current = next;
    } else {
      throw new NonRetryableError(
        `cannot set '${keys.join('.')}': '${keys.slice(0, i + 1).join('.')}' is not an object`,
      );
    }
  });
}

/** Removes the value at `keys` and returns it (undefined when there was none). */
export function deletePath(target: unknown, keys: readonly string[]): unknown {
  const parent = getPath(target, keys.slice(0, -1));
  const last = keys[keys.length - 1]!;
  if (!isContainer(parent)) return undefined;
  const value = ownChild(parent, last);
  if (Array.isArray(parent)) {
    if (/^\d+$/.test(last) && Number(last) < parent.length) parent.splice(Number(last), 1);
  } else if (Object.hasOwn(parent, last)) {
    delete parent[last];
  }
  return value;
}
