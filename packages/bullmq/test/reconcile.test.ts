import { expect } from 'vitest';
import { deferred, exec, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { diamond } from './support/workflow-shapes.js';

it('re-enqueues from the store the work Redis lost in a FLUSHALL, and the execution completes', async ({
  harness,
}) => {
  // No periodic pass: the test calls reconcile() itself.
  const h = await harness({ reconcileIntervalMs: 0, logger: silentLogger }, { privateRedis: true });
  const calls: Record<string, number> = {};
  const bRunning = deferred();
  h.registry.register(
    'step',
    exec(async (ctx) => {
      calls[ctx.nodeId] = (calls[ctx.nodeId] ?? 0) + 1;
      if (ctx.nodeId === 'B' && calls.B === 1) {
        // The first run of B stands for a worker that died: it never returns on its own.
        bRunning.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        throw new Error('interrupted');
      }
      return { success: true, data: { from: ctx.nodeId } };
    }),
  );
  await h.engine.registerWorkflow(diamond('flushed', 'step'));
  await h.engine.startWorkers(4);
  const id = await h.engine.enqueueWorkflow('flushed', {});
  await bRunning.promise;
  await until(async () => (await h.store.getExecution(id))?.nodeResults.C?.status === 'completed');

  // Everything in Redis is gone, B's active job and its lock included, so stall detection
  // can never bring B back: only the store still knows B must run.
  await h.redis.flushall();
  const reconciled = await h.engine.reconcile();
  expect(reconciled.requeued).toBe(1); // B (running in the store, no job left)

  const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
  expect(state.status).toBe('completed');
  expect(state.nodeResults.D?.data).toEqual({ from: 'D' });
  expect(calls.A).toBe(1);
  expect(calls.C).toBe(1);
  expect(calls.D).toBe(1);
  // B ran again after the flush; its result was recorded once, by the second run — the
  // next attempt (the first run still held B and lost its lock with the flush).
  expect(calls.B).toBe(2);
  expect(state.nodeResults.B).toMatchObject({ status: 'completed', attempts: 2 });
});

it('reconcile leaves existing jobs alone', async ({ harness }) => {
  const h = await harness({ reconcileIntervalMs: 0, logger: silentLogger });
  const release = deferred();
  h.registry.register(
    'wait',
    exec(async () => {
      await release.promise;
      return { success: true };
    }),
  );
  await h.engine.registerWorkflow(
    wf('steady', [
      { id: 'A', type: 'wait' },
      { id: 'B', type: 'wait' },
    ]),
  );
  const id = await h.engine.enqueueWorkflow('steady');
  const result = await h.engine.reconcile();
  expect(result.checked).toBeGreaterThanOrEqual(2);
  expect(result.requeued).toBe(0);
  release.resolve();
  await h.engine.startWorkers(2);
  expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
});
