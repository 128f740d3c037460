import { NodeRegistry } from '@spane/core';
import { describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import {
  barrier,
  deferred,
  exec,
  jobsIn,
  silentLogger,
  TEST_TIMINGS,
  until,
  waitingJobs,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';

describe('a worker that dies mid-node', () => {
  it('re-runs the node on another engine once its lock expires', async ({ harness }) => {
    const h = await harness();
    // Engine one reaches Redis only through a proxy. Cutting the proxy is, for Redis, the
    // same as killing engine one's process: its lock on the running node is no longer
    // renewed. (Its executor keeps hanging in this process, as a killed one would never return.)
    const proxy = await createRedisProxy();
    const registry1 = new NodeRegistry();
    const doomed = new WorkflowEngine(registry1, h.store, proxy.url, {
      ...TEST_TIMINGS,
      prefix: h.prefix,
      logger: silentLogger,
    });
    const hang = deferred();
    const nStarted = deferred();
    const runs1: string[] = [];
    const runs2: { nodeId: string; inputData: unknown; at: number }[] = [];
    registry1.register(
      'step',
      exec(async (ctx) => {
        runs1.push(ctx.nodeId);
        if (ctx.nodeId === 'N') {
          nStarted.resolve();
          await hang.promise;
        }
        return { success: true, data: `${ctx.nodeId}@1` };
      }),
    );
    h.registry.register(
      'step',
      exec(async (ctx) => {
        runs2.push({ nodeId: ctx.nodeId, inputData: ctx.inputData, at: Date.now() });
        return { success: true, data: `${ctx.nodeId}@2` };
      }),
    );
    let linksBefore = 0;
    let cutAt = Date.now();
    try {
      await h.engine.registerWorkflow(
        wf('crashy', [
          { id: 'A', type: 'step' },
          { id: 'N', type: 'step', inputs: ['A'] },
          { id: 'B', type: 'step', inputs: ['N'] },
        ]),
      );
      await doomed.startWorkers(2);
      const id = await h.engine.enqueueWorkflow('crashy');
      await nStarted.promise;

      linksBefore = proxy.connections;
      cutAt = Date.now();
      proxy.cut();
      // The surviving engine (lockDurationMs 1000, stalledIntervalMs 500) takes over.
      await h.engine.startWorkers(2);
      const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
      const doneAt = Date.now();

      expect(state.status).toBe('completed');
      expect(runs1).toEqual(['A', 'N']);
      expect(runs2.map((r) => [r.nodeId, r.inputData])).toEqual([
        ['N', 'A@1'],
        ['B', 'N@2'],
      ]);
      expect(state.nodeResults.N).toMatchObject({ status: 'completed', data: 'N@2' });
      const recoveredAfter = runs2[0]!.at - cutAt;
      console.info(
        `[recovery] node re-run ${recoveredAfter} ms after the crash; execution done after ${doneAt - cutAt} ms`,
      );
      expect(recoveredAfter).toBeLessThan(5_000);
    } finally {
      // Close engine one for real. Its connections must be back first: BullMQ's worker
      // close() never returns while its blocking connection is between reconnect attempts.
      proxy.restore();
      await until(() => proxy.connections >= linksBefore, 30_000, 'engine one to reconnect');
      hang.resolve();
      await doomed.close();
      await proxy.close();
    }
  });
});

describe('close()', () => {
  it('lets running nodes finish, leaves no active job and loses no work', async ({ harness }) => {
    const h = await harness();
    const threeRunning = barrier(3);
    const release = deferred();
    const runs: string[] = [];
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        runs.push(ctx.nodeId);
        await threeRunning.arrive();
        await release.promise;
        return { success: true, data: ctx.nodeId };
      }),
    );
    h.registry.register(
      'join',
      exec(async (ctx) => {
        runs.push(ctx.nodeId);
        return { success: true, data: ctx.inputData };
      }),
    );
    await h.engine.registerWorkflow(
      wf('closing', [
        { id: 'N1', type: 'hold' },
        { id: 'N2', type: 'hold' },
        { id: 'N3', type: 'hold' },
        { id: 'J', type: 'join', inputs: ['N1', 'N2', 'N3'] },
      ]),
    );
    await h.engine.startWorkers(3);
    const id = await h.engine.enqueueWorkflow('closing');
    await threeRunning.opened;

    const startedClose = Date.now();
    const closing = h.engine.close();
    // The nodes finish 100 ms into the shutdown: well inside the 2 s grace, and late
    // enough that an engine which did not wait for them would already have aborted them.
    setTimeout(() => release.resolve(), 100);
    await closing;
    expect(Date.now() - startedClose).toBeLessThan(TEST_TIMINGS.shutdownGraceMs!);

    expect(await jobsIn(h.redis, h.prefix, 'active')).toEqual([]);
    const after = await h.store.getExecution(id);
    for (const n of ['N1', 'N2', 'N3']) {
      expect(after?.nodeResults[n]).toMatchObject({ status: 'completed', data: n });
    }
    // The join became ready during the shutdown; its job waits for the next engine.
    expect(after?.nodeResults.J?.status).toBe('queued');
    expect(await waitingJobs(h.redis, h.prefix)).toEqual([nodeJobId(id, 'J')]);
    expect(runs.sort()).toEqual(['N1', 'N2', 'N3']);

    const next = h.peer();
    await next.startWorkers(2);
    const state = await next.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.J?.data).toEqual({ N1: 'N1', N2: 'N2', N3: 'N3' });
    expect(runs.sort()).toEqual(['J', 'N1', 'N2', 'N3']);
  });

  it('puts a node that outlives the grace back in the queue for another engine', async ({
    harness,
  }) => {
    const h = await harness({ shutdownGraceMs: 200 });
    const started = deferred();
    const stuck = deferred();
    let firstSignal: AbortSignal | undefined;
    const calls: string[] = [];
    h.registry.register(
      'stubborn',
      exec(async (ctx) => {
        calls.push(ctx.nodeId);
        if (ctx.nodeId === 'S' && !firstSignal) {
          firstSignal = ctx.signal;
          started.resolve();
          await stuck.promise; // ignores its signal
          return { success: true, data: 'too late' };
        }
        return { success: true, data: `${ctx.nodeId}-ok` };
      }),
    );
    await h.engine.registerWorkflow(
      wf('stubborn', [
        { id: 'S', type: 'stubborn' },
        { id: 'T', type: 'stubborn', inputs: ['S'] },
      ]),
    );
    try {
      await h.engine.startWorkers(2);
      const id = await h.engine.enqueueWorkflow('stubborn');
      await started.promise;

      const startedClose = Date.now();
      await h.engine.close();
      const closedAfter = Date.now() - startedClose;
      expect(closedAfter).toBeGreaterThanOrEqual(200);
      expect(closedAfter).toBeLessThan(2_000);
      expect(firstSignal?.aborted).toBe(true);
      expect(await jobsIn(h.redis, h.prefix, 'active')).toEqual([]);
      expect(await waitingJobs(h.redis, h.prefix)).toEqual([nodeJobId(id, 'S')]);

      const next = h.peer();
      await next.startWorkers(2);
      const state = await next.waitForExecution(id, { timeoutMs: 5_000 });
      expect(state.status).toBe('completed');
      expect(state.nodeResults.S?.data).toBe('S-ok');
      // The interrupted run ended for sure: its re-run keeps the attempt number.
      expect(state.nodeResults.S?.attempts).toBe(1);
      expect(state.nodeResults.T?.data).toBe('T-ok');
      expect(calls).toEqual(['S', 'S', 'T']);
    } finally {
      stuck.resolve();
    }
  });
});
