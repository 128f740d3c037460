import { createHash } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    // No prototype, so a `__proto__` key is kept as an ordinary key (not a prototype change).
    const sorted: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** First 16 hex digits of the SHA-256 of the canonical JSON of `value`. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/**
 * `value` as JSON text, for a store that keeps data as JSON (`what` names it in the error).
 * @throws InvalidArgumentError when JSON cannot hold it (a `BigInt`, a cycle) or it is not a
 * JSON value at all (`undefined`, a function, a symbol).
 */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(`${what} is not serialisable as JSON: ${String(error)}`);
  }
  if (text === undefined) throw new InvalidArgumentError(`${what} is not a JSON value`);
  return text;
}
