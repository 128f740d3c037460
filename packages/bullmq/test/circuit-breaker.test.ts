import { type BreakerChange, type INodeExecutor, NodeRegistry } from '@spane/core';
import { describe, expect } from 'vitest';
import { jobsIn, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

/** One call of the flaky executor: which engine ran it, and the breaker state it saw. */
interface Call {
  engine: string;
  saw: string | null;
  at: number;
}

const BREAKER = { failureRate: 0.5, minimumRuns: 4, windowMs: 10_000, openMs: 3_000 };
const RETRY = { attempts: 20, backoff: { type: 'fixed' as const, delayMs: 10 } };

describe('circuit breaker per node type', () => {
  it('opens on failures, delays the type’s jobs (not failed, no slot held), probes once, closes — across two engines', async ({
    harness,
  }) => {
    const h = await harness();
    const breakerKey = `${h.prefix}:breaker:flaky`;
    const calls: Call[] = [];
    let down = true;
    // A 429-style retryable failure while "down".
    const flaky = (engine: string): INodeExecutor => ({
      async execute() {
        calls.push({ engine, saw: await h.redis.hget(breakerKey, 'state'), at: Date.now() });
        return down
          ? { success: false, error: '429 too many requests', retryable: true }
          : { success: true, data: engine };
      },
    });
    const other: INodeExecutor = { execute: async () => ({ success: true }) };
    const registry2 = new NodeRegistry();
    h.registry.register('flaky', flaky('one'), { breaker: BREAKER, retry: RETRY });
    registry2.register('flaky', flaky('two'), { breaker: BREAKER, retry: RETRY });
    h.registry.register('other', other);
    registry2.register('other', other);
    const engine2 = h.peerWith(registry2);
    const changes: BreakerChange[] = [];
    h.engine.on('breaker:changed', (c) => changes.push(c));
    await h.engine.registerWorkflow(wf('flaky-flow', [{ id: 'F', type: 'flaky' }]));
    await h.engine.registerWorkflow(wf('other-flow', [{ id: 'O', type: 'other' }]));
    await h.engine.startWorkers(2);
    await engine2.startWorkers(2);

    // Failures open the breaker.
    const first = await h.engine.enqueueWorkflows(
      Array.from({ length: 3 }, () => ({ workflowId: 'flaky-flow' })),
    );
    await until(() => changes.some((c) => c.state === 'open'), 10_000, 'the breaker to open');
    expect(changes[0]).toMatchObject({ nodeType: 'flaky', state: 'open' });
    // Runs admitted before it opened end; then nothing of the type runs while it is open.
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 0);
    const quiet = calls.length;
    expect(quiet).toBeGreaterThanOrEqual(BREAKER.minimumRuns);
    const states = await engine2.getBreakerStates();
    expect(states.flaky?.state).toBe('open');
    expect(Date.parse(states.flaky!.opensUntil!)).toBeGreaterThan(Date.now());

    // While open: other types run on every slot; the type's jobs wait delayed, not failed.
    const second = await h.engine.enqueueWorkflows(
      Array.from({ length: 3 }, () => ({ workflowId: 'flaky-flow' })),
    );
    const others = await h.engine.enqueueWorkflows(
      Array.from({ length: 8 }, () => ({ workflowId: 'other-flow' })),
    );
    for (const id of others) {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    }
    expect(changes.map((c) => c.state)).toEqual(['open']);
    expect(calls.length).toBe(quiet);
    for (const id of [...first, ...second]) {
      expect((await h.engine.getExecution(id))?.status).toMatch(/^(pending|running)$/);
    }
    await until(
      async () => (await jobsIn(h.redis, h.prefix, 'delayed')).length === 6,
      5_000,
      'the six flaky jobs delayed',
    );

    // After openMs one probe runs (still failing): the breaker opens again.
    await until(() => changes.length >= 3, 10_000, 'a failed probe');
    expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'open']);
    expect(calls.length).toBe(quiet + 1);
    expect(calls[quiet]!.saw).toBe('half-open');

    // The next probe succeeds: closed, and every waiting job runs to completion.
    down = false;
    await until(() => changes.some((c) => c.state === 'closed'), 10_000, 'the breaker to close');
    for (const id of [...first, ...second]) {
      const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
      expect(state.status, id).toBe('completed');
    }
    expect(changes.map((c) => c.state)).toEqual([
      'open',
      'half-open',
      'open',
      'half-open',
      'closed',
    ]);
    // Exactly one probe per half-open period, across both engines.
    expect(calls.filter((c) => c.saw === 'half-open')).toHaveLength(2);
    // (A run admitted just before another opened it may see 'open'; none after that.)
    expect(calls.slice(quiet).filter((c) => c.saw === 'open')).toHaveLength(0);
    expect(new Set(calls.map((c) => c.engine))).toEqual(new Set(['one', 'two']));
    expect((await h.engine.getBreakerStates()).flaky).toEqual({ state: 'closed' });
  });

  it('counts timeouts, and a window of successes keeps it closed', async ({ harness }) => {
    const h = await harness();
    let slow = false;
    let runs = 0;
    h.registry.register(
      'slowish',
      {
        async execute(ctx) {
          runs += 1;
          if (slow) {
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          }
          return { success: true };
        },
      },
      {
        timeoutMs: 100,
        breaker: { failureRate: 0.5, minimumRuns: 3, windowMs: 60_000, openMs: 60_000 },
        retry: { attempts: 1, backoff: { type: 'fixed', delayMs: 10 } },
      },
    );
    const changes: BreakerChange[] = [];
    h.engine.on('breaker:changed', (c) => changes.push(c));
    await h.engine.registerWorkflow(wf('slow-flow', [{ id: 'S', type: 'slowish' }]));
    await h.engine.startWorkers(1);
    const run = async () => {
      const [id] = await h.engine.enqueueWorkflows([{ workflowId: 'slow-flow' }]);
      return (await h.engine.waitForExecution(id!, { timeoutMs: 5_000 })).status;
    };
    // Four successes, then two timeouts: 2 of 6 failed, below the rate.
    for (let i = 0; i < 4; i++) expect(await run()).toBe('completed');
    slow = true;
    for (let i = 0; i < 2; i++) expect(await run()).toBe('failed');
    expect((await h.engine.getBreakerStates()).slowish).toEqual({ state: 'closed' });
    // Two more timeouts: 4 of 8 failed, the rate is reached.
    for (let i = 0; i < 2; i++) expect(await run()).toBe('failed');
    await until(() => changes.length === 1, 5_000, 'the breaker to open');
    expect(changes[0]).toMatchObject({ nodeType: 'slowish', state: 'open' });
    expect((await h.engine.getBreakerStates()).slowish?.state).toBe('open');
    // A new run waits (its execution is not failed) and the executor is not called.
    const before = runs;
    const [waiting] = await h.engine.enqueueWorkflows([{ workflowId: 'slow-flow' }]);
    await until(async () => (await jobsIn(h.redis, h.prefix, 'delayed')).length === 1);
    expect(runs).toBe(before);
    expect((await h.engine.getExecution(waiting!))?.status).toMatch(/^(pending|running)$/);
  });
});
