import { NodeRegistry, NodeRunCancelledError } from '@spane/core';
import { expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { deferred, exec, silentLogger, TEST_TIMINGS, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';

// Issue #16, finding 3: a run whose worker can no longer reach Redis (a stall: no process
// died) loses its job's lock; another worker runs the node again. The first run must stop
// (its ctx.signal aborts), and the two runs must not share an attempt number.

it('a run that loses its lock in a Redis stall is aborted, and the run that takes over gets the next attempt number', async ({
  harness,
}) => {
  const h = await harness();
  const proxy = await createRedisProxy();
  const registry1 = new NodeRegistry();
  const stalled = new WorkflowEngine(registry1, h.store, proxy.url, {
    ...TEST_TIMINGS,
    prefix: h.prefix,
    logger: silentLogger,
  });
  const nStarted = deferred();
  const aborted = deferred<unknown>();
  const runs: { engine: 1 | 2; nodeId: string; attempt: number }[] = [];
  registry1.register(
    'step',
    exec(async (ctx) => {
      runs.push({ engine: 1, nodeId: ctx.nodeId, attempt: ctx.attempt });
      if (ctx.nodeId === 'N') {
        nStarted.resolve();
        await new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
        );
        aborted.resolve(ctx.signal.reason);
        return { success: true, data: 'N@1 (late)' };
      }
      return { success: true, data: `${ctx.nodeId}@1` };
    }),
  );
  h.registry.register(
    'step',
    exec(async (ctx) => {
      runs.push({ engine: 2, nodeId: ctx.nodeId, attempt: ctx.attempt });
      return { success: true, data: `${ctx.nodeId}@2` };
    }),
  );
  try {
    await h.engine.registerWorkflow(
      wf('stalls', [
        { id: 'A', type: 'step' },
        { id: 'N', type: 'step', inputs: ['A'] },
        { id: 'B', type: 'step', inputs: ['N'] },
      ]),
    );
    await stalled.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('stalls');
    await nStarted.promise;
    // Nothing engine one sends reaches Redis now: its lock renewals neither.
    proxy.hold();
    await h.engine.startWorkers(2);
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(NodeRunCancelledError);
    expect((reason as NodeRunCancelledError).reason).toBe('lock-lost');
    expect(stalled.getFaultCounts().lostLocks).toBe(1);
    await until(() => runs.some((r) => r.engine === 2 && r.nodeId === 'N'), 15_000, 'N re-run');
    proxy.release();
    const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.N).toMatchObject({ status: 'completed', data: 'N@2', attempts: 2 });
    const nRuns = runs.filter((r) => r.nodeId === 'N');
    expect(nRuns).toEqual([
      { engine: 1, nodeId: 'N', attempt: 1 },
      { engine: 2, nodeId: 'N', attempt: 2 },
    ]);
    expect(state.nodeResults.B?.status).toBe('completed');
  } finally {
    proxy.release();
    await stalled.close();
    await proxy.close();
  }
});

it('a run whose process froze past its lock sees ctx.signal aborted as soon as it looks, before any timer of the engine ran', async ({
  harness,
}) => {
  const h = await harness();
  const seen: { attempt: number; aborted: boolean; reason: unknown }[] = [];
  h.registry.register(
    'frozen',
    exec(async (ctx) => {
      if (ctx.attempt === 1) {
        // A freeze as a SIGSTOP makes it: nothing of this process runs for 1.5 s (> lock).
        const until = Date.now() + 1_500;
        while (Date.now() < until) {}
      }
      seen.push({ attempt: ctx.attempt, aborted: ctx.signal.aborted, reason: ctx.signal.reason });
      return { success: true, data: ctx.attempt };
    }),
  );
  await h.engine.registerWorkflow(wf('frozen', [{ id: 'F', type: 'frozen' }]));
  await h.engine.startWorkers(1);
  const id = await h.engine.enqueueWorkflow('frozen');
  const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
  expect(seen[0]).toMatchObject({ attempt: 1, aborted: true });
  expect(seen[0]?.reason).toBeInstanceOf(NodeRunCancelledError);
  expect((seen[0]!.reason as NodeRunCancelledError).reason).toBe('lock-lost');
  // The frozen run recorded nothing; the run that took over (the next attempt) did.
  expect(state.status).toBe('completed');
  expect(state.nodeResults.F).toMatchObject({ status: 'completed', attempts: 2, data: 2 });
});
