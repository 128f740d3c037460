import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  MAX_TIMEOUT_MS,
  type RetryPolicy,
  resolveRetryPolicy,
  retryDelayMs,
} from '../src/index.js';

describe('resolveRetryPolicy', () => {
  const node: RetryPolicy = { attempts: 5 };
  const wf: RetryPolicy = { attempts: 4 };
  const type: RetryPolicy = { attempts: 2 };

  it('picks the first defined candidate (node, workflow defaults, node type)', () => {
    expect(resolveRetryPolicy(node, wf, type)).toBe(node);
    expect(resolveRetryPolicy(undefined, wf, type)).toBe(wf);
    expect(resolveRetryPolicy(undefined, undefined, type)).toBe(type);
  });

  it('falls back to the default: 3 attempts, exponential from 1000 ms', () => {
    expect(resolveRetryPolicy()).toBe(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy(undefined, undefined, undefined)).toBe(DEFAULT_RETRY_POLICY);
    expect(DEFAULT_RETRY_POLICY).toEqual({
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 1000 },
    });
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY.backoff)).toBe(true);
  });
});

describe('retryDelayMs', () => {
  it('exponential: delayMs * 2^(nextAttempt - 2)', () => {
    const p: RetryPolicy = { attempts: 10, backoff: { type: 'exponential', delayMs: 1000 } };
    expect([2, 3, 4, 5, 6].map((a) => retryDelayMs(p, a))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY as RetryPolicy, 2)).toBe(1000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY as RetryPolicy, 3)).toBe(2000);
  });

  it('fixed: always delayMs', () => {
    const p: RetryPolicy = { attempts: 10, backoff: { type: 'fixed', delayMs: 250 } };
    expect([2, 3, 7].map((a) => retryDelayMs(p, a))).toEqual([250, 250, 250]);
  });

  it('caps both kinds at maxDelayMs', () => {
    const exp: RetryPolicy = {
      attempts: 10,
      backoff: { type: 'exponential', delayMs: 100, maxDelayMs: 500 },
    };
    expect([2, 3, 4, 5, 6].map((a) => retryDelayMs(exp, a))).toEqual([100, 200, 400, 500, 500]);
    const fixed: RetryPolicy = {
      attempts: 10,
      backoff: { type: 'fixed', delayMs: 100, maxDelayMs: 50 },
    };
    expect(retryDelayMs(fixed, 2)).toBe(50);
    const zero: RetryPolicy = {
      attempts: 10,
      backoff: { type: 'exponential', delayMs: 100, maxDelayMs: 0 },
    };
    expect(retryDelayMs(zero, 3)).toBe(0);
  });

  it('is 0 without backoff', () => {
    expect(retryDelayMs({ attempts: 3 }, 2)).toBe(0);
  });

  it('exponential delays never decrease and never exceed the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.option(fc.nat(10_000_000), { nil: undefined }),
        fc.integer({ min: 2, max: 60 }),
        (delayMs, maxDelayMs, attempt) => {
          const p: RetryPolicy = {
            attempts: 1000,
            backoff: {
              type: 'exponential',
              delayMs,
              ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
            },
          };
          const d = retryDelayMs(p, attempt);
          expect(d).toBeLessThanOrEqual(retryDelayMs(p, attempt + 1));
          if (maxDelayMs !== undefined) expect(d).toBeLessThanOrEqual(maxDelayMs);
          expect(d).toBe(
            Math.min(delayMs * 2 ** (attempt - 2), maxDelayMs ?? MAX_TIMEOUT_MS, MAX_TIMEOUT_MS),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
