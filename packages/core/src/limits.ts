import { PayloadTooLargeError } from './errors.js';

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

/** Characters allowed in workflow and node ids. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Bytes of `value` as UTF-8 JSON (`undefined` counts as 0). */
export function jsonByteLength(value: unknown): number {
  if (value === undefined) return 0;
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * @throws PayloadTooLargeError when `value` is larger than `limitBytes` as JSON.
 */
export function assertPayloadSize(what: string, value: unknown, limitBytes: number): void {
  payloadText(what, value, limitBytes);
}

/**
 * `value` as JSON text (undefined for `undefined`, or a value JSON leaves out), checked
 * against `limitBytes` — for a caller that needs the text as well as the check.
 * @throws PayloadTooLargeError when it is larger than `limitBytes`; TypeError for a value
 * JSON cannot hold (a BigInt, a cycle).
 */
export function payloadText(what: string, value: unknown, limitBytes: number): string | undefined {
  const text = value === undefined ? undefined : JSON.stringify(value);
  const size = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  if (size > limitBytes) throw new PayloadTooLargeError(what, limitBytes, size);
  return text;
}
