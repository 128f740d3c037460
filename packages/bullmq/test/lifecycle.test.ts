import {
  InvalidTransitionError,
  WorkflowNotFoundError,
  WorkflowValidationError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import {
  deferred,
  exec,
  keysOf,
  record,
  silentLogger,
  TEST_TIMINGS,
  until,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';
import { noop } from './support/stock-executors.js';

/** Resolves when the signal aborts, with its reason. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('pause and resume', () => {
  it('records a running node while paused, starts nothing new, and continues on resume', async ({
    harness,
  }) => {
    const h = await harness();
    const aStarted = deferred();
    const releaseA = deferred();
    const calls = new Map<string, number>();
    const count = (id: string) => calls.set(id, (calls.get(id) ?? 0) + 1);
    h.registry.register(
      'gate',
      exec(async (ctx) => {
        count(ctx.nodeId);
        aStarted.resolve();
        await releaseA.promise;
        return { success: true, data: 'a' };
      }),
    );
    h.registry.register(
      'step',
      exec(async (ctx) => {
        count(ctx.nodeId);
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(
      wf('pausable', [
        { id: 'A', type: 'gate' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
      ]),
    );
    const paused = record(h.engine, 'workflow:paused');
    const resumed = record(h.engine, 'workflow:resumed');
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('pausable');
    await aStarted.promise;

    await h.engine.pauseWorkflow(id);
    expect((await h.engine.getExecution(id))?.status).toBe('paused');
    releaseA.resolve();

    // A's result is recorded while paused and B becomes ready; B's job reaches a worker,
    // which parks it instead of starting it. Waiting for the parked job (not for time)
    // means the engine has had its chance to start B.
    await until(
      async () => (await h.redis.sismember(`${h.prefix}:parked:${id}`, nodeJobId(id, 'B'))) === 1,
      5_000,
      'B to be parked',
    );
    const during = await h.engine.getExecution(id);
    expect(during?.status).toBe('paused');
    expect(during?.nodeResults.A).toMatchObject({ status: 'completed', data: 'a' });
    expect(during?.nodeResults.B?.status).toBe('queued');
    expect(during?.nodeResults.C?.status).toBe('pending');
    expect(calls.get('B')).toBeUndefined();

    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(Object.fromEntries(calls)).toEqual({ A: 1, B: 1, C: 1 });
    await until(() => paused.length === 1 && resumed.length === 1, 5_000, 'pause/resume events');
    expect(paused[0]?.executionId).toBe(id);
    expect(resumed[0]?.executionId).toBe(id);

    const error = await h.engine.pauseWorkflow(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({ from: 'completed', to: 'paused' });
  });
});

describe('cancel', () => {
  it('aborts the running node, drops queued ones and leaves no job in Redis', async ({
    harness,
  }) => {
    // One worker slot: one of the two entry nodes runs, the other waits in the queue.
    const h = await harness();
    const starts: string[] = [];
    const reasons: unknown[] = [];
    const running = deferred();
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        starts.push(`${ctx.executionId}/${ctx.nodeId}`);
        running.resolve();
        reasons.push(await aborted(ctx.signal));
        return { success: true };
      }),
    );
    h.registry.register(
      'noop',
      exec(async (ctx) => {
        starts.push(`${ctx.executionId}/${ctx.nodeId}`);
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf('cancellable', [
        { id: 'P', type: 'hold' },
        { id: 'Q', type: 'hold' },
        { id: 'R', type: 'noop', inputs: ['P', 'Q'] },
      ]),
    );
    await h.engine.registerWorkflow(wf('quick', [{ id: 'N', type: 'noop' }]));
    const cancelled = record(h.engine, 'workflow:cancelled');
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('cancellable');
    await running.promise;

    await h.engine.cancelWorkflow(id);
    const state = await h.engine.getExecution(id);
    expect(state?.status).toBe('cancelled');
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as Error).name).toBe('AbortError');
    expect(Object.values(state!.nodeResults).map((n) => n.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(await keysOf(h.redis, h.prefix, id)).toEqual([]);
    const startedBefore = starts.filter((s) => s.startsWith(id));
    expect(startedBefore).toHaveLength(1);

    // The single worker slot is FIFO: once a later execution has run, anything of the
    // cancelled one that could still start would have.
    const later = await h.engine.enqueueWorkflow('quick');
    expect((await h.engine.waitForExecution(later, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(starts.filter((s) => s.startsWith(id))).toEqual(startedBefore);
    await until(() => cancelled.length === 1, 5_000, 'workflow:cancelled');
    expect(cancelled[0]).toMatchObject({ executionId: id, workflowId: 'cancellable' });

    const error = await h.engine.cancelWorkflow(later).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({ from: 'completed', to: 'cancelled' });
  });

  it('cancels an execution that outlives its workflow timeoutMs', async ({ harness }) => {
    const h = await harness();
    const reasons: unknown[] = [];
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        reasons.push(await aborted(ctx.signal));
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(wf('bounded', [{ id: 'N', type: 'hold' }], { timeoutMs: 300 }));
    const cancelled = record(h.engine, 'workflow:cancelled');
    await h.engine.startWorkers(2);
    const started = Date.now();
    const id = await h.engine.enqueueWorkflow('bounded');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });

    expect(state.status).toBe('cancelled');
    expect(state.error).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(state.nodeResults.N?.status).toBe('cancelled');
    await until(() => reasons.length === 1, 5_000, 'the node to see the abort');
    await until(() => cancelled.length === 1, 5_000, 'workflow:cancelled');
    expect(cancelled[0]).toMatchObject({ executionId: id, reason: 'TIMEOUT' });
    // The timer job that did the cancelling leaves Redis when it returns, just after.
    await until(async () => (await keysOf(h.redis, h.prefix, id)).length === 0, 5_000, 'no keys');
  });
});

describe('registration and enqueueing', () => {
  it('rejects unknown node types and workflows, and honours idempotency keys', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('noop', noop);
    const invalid = await h.engine
      .registerWorkflow(wf('bad', [{ id: 'N', type: 'no-such-type' }]))
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WorkflowValidationError);
    expect(await h.engine.getWorkflow('bad')).toBeNull();

    await expect(h.engine.enqueueWorkflow('missing')).rejects.toBeInstanceOf(WorkflowNotFoundError);

    await h.engine.registerWorkflow(wf('once', [{ id: 'N', type: 'noop' }]));
    const first = await h.engine.enqueueWorkflow('once', { n: 1 }, { idempotencyKey: 'k-1' });
    const again = await h.engine.enqueueWorkflow('once', { n: 2 }, { idempotencyKey: 'k-1' });
    const other = await h.engine.enqueueWorkflow('once', { n: 3 }, { idempotencyKey: 'k-2' });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect((await h.engine.listExecutions({ workflowId: 'once' })).items).toHaveLength(2);
    expect((await h.engine.getExecution(first))?.initialData).toEqual({ n: 1 });
    await h.engine.startWorkers(2);
    for (const id of [first, other]) {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    }
  });
});

describe('close with Redis unreachable', () => {
  /** close()'s outcome, or 'still closing' after `ms` (far above close's own bounds). */
  const closeWithin = (engine: WorkflowEngine, ms: number) =>
    Promise.race([
      engine.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still closing'), ms).unref()),
    ]);

  it('ends when Redis goes away while a node runs, and says so', async ({ harness }) => {
    const h = await harness();
    const proxy = await createRedisProxy();
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const engine = new WorkflowEngine(h.registry, h.store, proxy.url, {
      ...TEST_TIMINGS,
      shutdownGraceMs: 300,
      prefix: h.prefix,
      logger,
    });
    try {
      const started = deferred();
      h.registry.register(
        'slow',
        exec(async (ctx) => {
          started.resolve();
          await aborted(ctx.signal);
          return { success: true, data: null };
        }),
      );
      await engine.registerWorkflow(wf('close-cut', [{ id: 'A', type: 'slow' }]));
      await engine.startWorkers(2);
      await engine.enqueueWorkflow('close-cut');
      await started.promise;
      proxy.cut();
      // Grace (0.3 s) + at most 5 s for Redis; before the fix it never ended.
      expect(await closeWithin(engine, 15_000)).toBe('closed');
      expect(warnings).toContain('Redis did not answer while closing; close() gave up waiting');
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('ends when Redis never answered, and a pending startWorkers() rejects', async ({
    harness,
  }) => {
    const h = await harness();
    const proxy = await createRedisProxy();
    proxy.cut();
    const engine = new WorkflowEngine(h.registry, h.store, proxy.url, {
      ...TEST_TIMINGS,
      prefix: h.prefix,
      logger: silentLogger,
    });
    try {
      const starting = engine.startWorkers(2).then(
        () => 'started',
        (err: Error) => err.message,
      );
      expect(await closeWithin(engine, 15_000)).toBe('closed');
      expect(await starting).toBe('the engine is closed');
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
