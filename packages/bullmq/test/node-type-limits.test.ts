import { describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { typeQueueName } from '../src/node-queues.js';
import { deferred, exec, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

describe('node type limits', () => {
  it('rateLimit holds across engines and does not slow other node types', async ({ harness }) => {
    const h = await harness();
    const engine2 = h.peer();
    const starts: number[] = [];
    h.registry.register(
      'metered',
      exec(async () => {
        starts.push(Date.now());
        return { success: true };
      }),
      { rateLimit: { max: 2, durationMs: 400 } },
    );
    h.registry.register(
      'fast',
      exec(async () => ({ success: true, data: Date.now() })),
    );
    await h.engine.registerWorkflow(wf('metered-flow', [{ id: 'M', type: 'metered' }]));
    await h.engine.registerWorkflow(wf('fast-flow', [{ id: 'F', type: 'fast' }]));
    await h.engine.startWorkers(4);
    await engine2.startWorkers(4);

    const metered = await h.engine.enqueueWorkflows(
      Array.from({ length: 5 }, () => ({ workflowId: 'metered-flow' })),
    );
    const fast = await h.engine.enqueueWorkflows(
      Array.from({ length: 10 }, () => ({ workflowId: 'fast-flow' })),
    );
    const fastStates = await Promise.all(
      fast.map((id) => h.engine.waitForExecution(id, { timeoutMs: 5_000 })),
    );
    const meteredStates = await Promise.all(
      metered.map((id) => h.engine.waitForExecution(id, { timeoutMs: 10_000 })),
    );
    expect(meteredStates.every((s) => s.status === 'completed')).toBe(true);
    expect(fastStates.every((s) => s.status === 'completed')).toBe(true);
    starts.sort((a, b) => a - b);
    expect(starts).toHaveLength(5);
    // At most 2 starts per 400 ms window, across both engines. Measured in the executor,
    // after the store call that begins the node, whose latency varies (a Postgres begin may
    // wait for a batch in flight): allow 200 ms of jitter. Unlimited, all 5 start at once.
    for (let i = 0; i + 2 < starts.length; i++) {
      expect(starts[i + 2]! - starts[i]!).toBeGreaterThanOrEqual(200);
    }
    expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(600);
    // The unlimited type ran while the metered one was still being held back.
    const lastFast = Math.max(...fastStates.map((s) => s.nodeResults.F?.data as number));
    expect(lastFast).toBeLessThan(starts[4]!);
  });

  it('concurrency holds across engines and does not slow other node types', async ({ harness }) => {
    const h = await harness();
    const engine2 = h.peer();
    const release = deferred();
    const state = { running: 0, max: 0, runs: 0 };
    h.registry.register(
      'exclusive',
      exec(async () => {
        state.running += 1;
        state.runs += 1;
        state.max = Math.max(state.max, state.running);
        await release.promise;
        state.running -= 1;
        return { success: true };
      }),
      { concurrency: 1 },
    );
    h.registry.register('fast', noop);
    await h.engine.registerWorkflow(wf('exclusive-flow', [{ id: 'X', type: 'exclusive' }]));
    await h.engine.registerWorkflow(wf('fast-flow', [{ id: 'F', type: 'fast' }]));
    await h.engine.startWorkers(4);
    await engine2.startWorkers(4);

    const exclusive = await h.engine.enqueueWorkflows(
      Array.from({ length: 4 }, () => ({ workflowId: 'exclusive-flow' })),
    );
    await until(() => state.running === 1, 5_000, 'one exclusive run');
    // Waiting: fair scheduling gives them a priority (BullMQ's prioritized set).
    const waitKey = `${h.prefix}:${typeQueueName('exclusive')}:prioritized`;
    await until(async () => (await h.redis.zcard(waitKey)) === 3, 5_000, 'three queued');
    const fast = await h.engine.enqueueWorkflows(
      Array.from({ length: 10 }, () => ({ workflowId: 'fast-flow' })),
    );
    const fastStates = await Promise.all(
      fast.map((id) => h.engine.waitForExecution(id, { timeoutMs: 5_000 })),
    );
    expect(fastStates.every((s) => s.status === 'completed')).toBe(true);
    expect(state.runs).toBe(1);
    // Limited types have their own queue; the job ids are the usual ones.
    const queued = await h.redis.zrange(waitKey, 0, -1);
    const jobIds = exclusive.map((id) => nodeJobId(id, 'X'));
    expect(queued.every((jobId) => jobIds.includes(jobId))).toBe(true);

    release.resolve();
    const states = await Promise.all(
      exclusive.map((id) => h.engine.waitForExecution(id, { timeoutMs: 10_000 })),
    );
    expect(states.every((s) => s.status === 'completed')).toBe(true);
    expect(state.runs).toBe(4);
    expect(state.max).toBe(1);
  });
});
