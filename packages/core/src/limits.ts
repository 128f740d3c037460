import { PayloadNotStorableError, PayloadTooLargeError } from './errors.js';
import { boundedJsonText } from './storable-json.js';

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

/**
 * Longest node attempt timeout and longest retry backoff (`timeoutMs` of a node, of a
 * workflow's `defaults` and of a node type's registration; a retry policy's `delayMs` and
 * `maxDelayMs`), in ms: 2^31 - 1 (about 24.8 days), the longest delay a Node.js timer
 * holds (a longer one would fire at once). Longer values are refused at registration.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Longest workflow `timeoutMs` (of a whole execution), in ms: 365 days. An execution
 * timeout is a delayed job rather than a timer, so it may be longer than
 * {@link MAX_TIMEOUT_MS}; a bound keeps its due time a valid date.
 */
export const MAX_WORKFLOW_TIMEOUT_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The longest a `delay` node's `durationMs` may be: 366 days (a node that waits for a date
 * further ahead gives `until`). Checked at registration.
 */
export const MAX_DELAY_NODE_MS = 366 * 24 * 60 * 60 * 1000;

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
 * caller that needs the text as well as the check. Stops as soon as the text would pass
 * the limit: never serialises more than `limitBytes` to find a value too large.
 * @throws PayloadNotStorableError for a value that cannot be stored as JSON unchanged: a
 * `BigInt`, a function, a symbol, a cycle, a throwing `toJSON`, U+0000 or a lone UTF-16
 * surrogate in a string or key, nesting deeper than {@link MAX_JSON_DEPTH}; PayloadTooLargeError when it is larger than
 * `limitBytes` (whichever comes first in the order of the text).
 */
export function payloadText(what: string, value: unknown, limitBytes: number): string | undefined {
  if (value === undefined) return undefined;
  const checked = boundedJsonText(value, MAX_JSON_DEPTH, limitBytes);
  if ('unstorable' in checked) {
    throw new PayloadNotStorableError(what, checked.unstorable.reason, checked.unstorable.path);
  }
  if ('tooLarge' in checked) {
    const { atLeastBytes, exact } = checked.tooLarge;
    throw new PayloadTooLargeError(what, limitBytes, atLeastBytes, !exact);
  }
  const { text } = checked;
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a text of up to a third of the limit in
  // code units is within it, and is not measured again (a whole pass over every output).
  if (text === undefined || text.length * 3 <= limitBytes) return text;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new PayloadTooLargeError(what, limitBytes, size);
  return text;
}
