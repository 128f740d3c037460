import { Value } from '@sinclair/typebox/value';
import { MAX_TIMEOUT_MS } from './limits.js';
import { type RetryPolicy, RetryPolicySchema } from './workflow-schema.js';

/** The engine's default retry policy: 3 attempts, exponential backoff from 1000 ms. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 3,
  backoff: Object.freeze({ type: 'exponential' as const, delayMs: 1000 }),
});

/**
 * The policy that applies to a node: the first one given of the node's own `retry`, the
 * workflow's `defaults.retry`, the node type's registration `retry`, the engine default.
 * (The workflow author's explicit choice wins over the executor author's default.)
 */
export function resolveRetryPolicy(...candidates: (RetryPolicy | undefined)[]): RetryPolicy {
  for (const c of candidates) if (c) return c;
  return DEFAULT_RETRY_POLICY;
}

/**
 * Delay before attempt `nextAttempt` (2 for the first retry). Exponential doubles
 * `delayMs` for each retry after the first; both kinds are capped by `maxDelayMs`, and by
 * {@link MAX_TIMEOUT_MS} (so many doublings never give more than a timer can hold).
 */
export function retryDelayMs(policy: RetryPolicy, nextAttempt: number): number {
  const backoff = policy.backoff;
  if (!backoff) return 0;
  const retryIndex = Math.max(0, nextAttempt - 2);
  const raw = backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** retryIndex;
  return Math.min(raw, backoff.maxDelayMs ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
}

/**
 * Whether `value` is a valid {@link RetryPolicy}: attempts 1–1000, backoff `exponential` or
 * `fixed`, `delayMs` and `maxDelayMs` integers from 0 to {@link MAX_TIMEOUT_MS}, no other keys.
 */
export function isRetryPolicy(value: unknown): value is RetryPolicy {
  return Value.Check(RetryPolicySchema, value);
}
