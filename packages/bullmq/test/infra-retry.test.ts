import { NodeNotFoundError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { InfraRetry, InfrastructureError } from '../src/infra-retry.js';

function retry(limitMs: number, callTimeoutMs?: number) {
  const faults = { infraRetries: 0, refusedOutcomes: 0, lostLocks: 0 };
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const r = new InfraRetry({
    logger: quiet,
    limitMs,
    closing: () => false,
    faults,
    ...(callTimeoutMs === undefined ? {} : { callTimeoutMs }),
  });
  return { r, faults };
}

describe('InfraRetry', () => {
  it('a call that never answers counts as failed after callTimeoutMs, and retrying stops at limitMs', async () => {
    const { r, faults } = retry(50, 100);
    const started = Date.now();
    const error = await r.run('a hanging call', () => new Promise<never>(() => {})).catch((e) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toMatch(
      /^a hanging call failed \(still failing after \d+ ms\): no answer within 100 ms$/,
    );
    expect(faults.infraRetries).toBe(1);
    // Given up by the one sweep timer: within a second of its deadline.
    expect(Date.now() - started).toBeLessThan(100 + 1_500);
  });

  it('retries a failing call until it answers, counting each retry', async () => {
    const { r, faults } = retry(5_000);
    let calls = 0;
    const value = await r.run('a flaky call', async () => {
      calls += 1;
      if (calls < 3) throw new Error('connection lost');
      return 'answer';
    });
    expect(value).toBe('answer');
    expect(calls).toBe(3);
    expect(faults.infraRetries).toBe(2);
  });

  it("SPANE's own errors are answers: thrown at once, not retried; a synchronous throw is retried like a rejection", async () => {
    const { r, faults } = retry(5_000);
    const typed = new NodeNotFoundError('x', 'a plan');
    await expect(r.run('a typed error', () => Promise.reject(typed))).rejects.toBe(typed);
    expect(faults.infraRetries).toBe(0);
    let calls = 0;
    const value = await r.run('a sync throw', () => {
      calls += 1;
      if (calls === 1) throw new Error('thrown synchronously');
      return Promise.resolve(7);
    });
    expect(value).toBe(7);
    expect(faults.infraRetries).toBe(1);
  });

  it('many calls at once each get their own answer', async () => {
    const { r } = retry(5_000);
    const values = await Promise.all(
      Array.from({ length: 200 }, (_, i) => r.run(`call ${i}`, async () => i * 2)),
    );
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
  });
});
