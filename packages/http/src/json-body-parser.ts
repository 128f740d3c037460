import { HttpError } from './http-errors.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Deepest nesting of objects and arrays in a JSON text, found in one pass without
 * parsing (brackets inside strings do not count). Stops counting past `limit`.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** The 400 `JSON_TOO_DEEP` of a JSON body nested deeper than `maxDepth` levels. */
export function jsonTooDeepError(maxDepth: number): HttpError {
  return new HttpError(400, 'JSON_TOO_DEEP', `JSON body is nested deeper than ${maxDepth} levels`, {
    details: { maxDepth },
  });
}

/** False for a string with a lone UTF-16 surrogate (`String.prototype.isWellFormed`, ES2024). */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * `JSON.parse` that refuses prototype-poisoning keys: `__proto__` anywhere, and a
 * `constructor` whose value has a `prototype` key (what `onProtoPoisoning: 'error'` and
 * `onConstructorPoisoning: 'error'` refuse in fastify's own parser); and a string or key
 * with a lone UTF-16 surrogate, which only an escape such as `"\ud800"` can give (bytes
 * that are not UTF-8 are decoded as U+FFFD) and which PostgreSQL cannot store unchanged.
 */
function parseRefusingPoison(text: string): unknown {
  return JSON.parse(text, function reviver(this: unknown, key: string, value: unknown) {
    if ((typeof value === 'string' && !isWellFormed(value)) || !isWellFormed(key)) {
      throw new HttpError(
        400,
        'INVALID_JSON',
        'JSON body contains a lone UTF-16 surrogate (an escape from \\ud800 to \\udfff without its pair)',
      );
    }
    if (key === '__proto__') {
      throw new HttpError(400, 'INVALID_JSON', "JSON body contains a forbidden '__proto__' key");
    }
    if (
      key === 'constructor' &&
      typeof value === 'object' &&
      value !== null &&
      Object.hasOwn(value, 'prototype')
    ) {
      throw new HttpError(
        400,
        'INVALID_JSON',
        "JSON body contains a forbidden 'constructor.prototype' key",
      );
    }
    return value;
  });
}

/**
 * Parses a JSON request body: an empty body is no body; nesting deeper than `maxDepth` is
 * refused before parsing (a deep document costs stack in every later step); syntax errors,
 * poisoning keys and lone surrogates are a 400 `INVALID_JSON`.
 * @throws HttpError
 */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '') return undefined;
  if (jsonNestingDepth(text, maxDepth) > maxDepth) throw jsonTooDeepError(maxDepth);
  try {
    return parseRefusingPoison(text);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'INVALID_JSON', `Body is not valid JSON: ${(err as Error).message}`);
  }
}
