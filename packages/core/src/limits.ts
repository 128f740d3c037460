import { PayloadNotStorableError, PayloadTooLargeError } from './errors.js';
import { storableJsonText } from './storable-json.js';

/** Limits of SPEC §5. Every one can be changed; exceeding one is a typed error. */
export interface SpaneLimits {
  /** Most nodes in one workflow. @defaultValue 10_000 */
  maxNodes: number;
  /** Longest workflow or node id. @defaultValue 128 */
  maxIdLength: number;
  /** Largest initial data or node output, in bytes of JSON. @defaultValue 1 MiB */
  maxPayloadBytes: number;
  /** Deepest sub-workflow nesting. @defaultValue 10 */
  maxDepth: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<SpaneLimits> = Object.freeze({
  maxNodes: 10_000,
  maxIdLength: 128,
  maxPayloadBytes: 1024 * 1024,
  maxDepth: 10,
});

/**
 * Deepest nesting of objects and arrays in data the engine stores as JSON: initial data,
 * node outputs, event and webhook payloads, and each node's `config` and `metadata` in a
 * workflow definition. Fixed, so that no store or serialiser runs out of stack on it.
 */
export const MAX_JSON_DEPTH = 100;

/** Characters allowed in workflow and node ids. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Bytes of `value` as UTF-8 JSON (`undefined` counts as 0). */
export function jsonByteLength(value: unknown): number {
  if (value === undefined) return 0;
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * @throws PayloadTooLargeError when `value` is larger than `limitBytes` as JSON;
 * PayloadNotStorableError when it cannot be stored as JSON unchanged (see `payloadText`).
 */
export function assertPayloadSize(what: string, value: unknown, limitBytes: number): void {
  payloadText(what, value, limitBytes);
}

/**
 * `value` as JSON text (undefined for `undefined`), checked against `limitBytes` — for a
 * caller that needs the text as well as the check.
 * @throws PayloadNotStorableError for a value that cannot be stored as JSON unchanged: a
 * `BigInt`, a function, a symbol, a cycle, a throwing `toJSON`, U+0000 in a string or key,
 * nesting deeper than {@link MAX_JSON_DEPTH}; PayloadTooLargeError when it is larger than
 * `limitBytes`.
 */
export function payloadText(what: string, value: unknown, limitBytes: number): string | undefined {
  if (value === undefined) return undefined;
  const checked = storableJsonText(value, MAX_JSON_DEPTH);
  if ('unstorable' in checked) {
    throw new PayloadNotStorableError(what, checked.unstorable.reason, checked.unstorable.path);
  }
  const { text } = checked;
  const size = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new PayloadTooLargeError(what, limitBytes, size);
  return text;
}
