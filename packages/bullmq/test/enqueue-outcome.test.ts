import {
  EngineClosedError,
  EnqueueFailedError,
  EnqueueOutcomeUnknownError,
  InvalidArgumentError,
  NodeRegistry,
} from '@spane/core';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { WorkflowEngine, type WorkflowEngineOptions } from '../src/index.js';
import { MAX_DUE_TIME_MS, MAX_PRIORITY } from '../src/start-checks.js';
import { exec, silentLogger, TEST_TIMINGS, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { startPrivateRedis } from './support/private-redis.js';
import { createTestStore } from './support/test-store.js';

/** Node runs by execution id. */
function countingRegistry(): { registry: NodeRegistry; runs: Map<string, number> } {
  const runs = new Map<string, number>();
  const registry = new NodeRegistry();
  registry.register(
    'count',
    exec(async (ctx) => {
      runs.set(ctx.executionId, (runs.get(ctx.executionId) ?? 0) + 1);
      return { success: true, data: null };
    }),
  );
  return { registry, runs };
}

/**
 * An engine on a private Redis that the test stops and starts again (same port, empty).
 * `retries` is the connection's maxRetriesPerRequest: null queues commands while Redis is
 * down (they reach it when it is back), 1 fails them at once.
 */
async function engineOnPrivateRedis(
  retries: number | null,
  quotas: WorkflowEngineOptions['quotas'] = false,
) {
  let redis = await startPrivateRedis();
  const { port } = redis;
  const client = new Redis(redis.url, { maxRetriesPerRequest: retries });
  client.on('error', () => {});
  const testStore = await createTestStore();
  const { registry, runs } = countingRegistry();
  const engine = new WorkflowEngine(registry, testStore.store, client, {
    ...TEST_TIMINGS,
    prefix: 'spane-test-enqueue',
    enqueueTimeoutMs: 500,
    // Only the engine's own calls may queue what is missing: no periodic pass.
    reconcileIntervalMs: 0,
    logger: silentLogger,
    // These tests are about a start whose create succeeded and whose Redis work failed:
    // the active-execution quota (checked in Redis, before the create) is off but in the
    // one that is about it.
    quotas,
  });
  await engine.registerWorkflow(
    wf('pair', [
      { id: 'A', type: 'count' },
      { id: 'B', type: 'count', inputs: ['A'] },
    ]),
  );
  await engine.startWorkers(2);
  return {
    engine,
    store: testStore.store,
    runs,
    stopRedis: () => redis.stop(),
    startRedis: async () => {
      redis = await startPrivateRedis({ port });
      await until(() => client.status === 'ready', 10_000, 'the engine to reconnect');
    },
    async close() {
      await engine.close();
      client.disconnect();
      await testStore.dispose();
      await redis.stop();
    },
  };
}

describe('enqueue has a definite outcome (Redis down)', () => {
  it('rejects with EnqueueFailedError, and nothing of a rejected start ever runs', async () => {
    // Commands wait for Redis: the jobs of the failed starts reach it once it is back.
    const e = await engineOnPrivateRedis(null);
    try {
      await e.stopRedis();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => e.engine.enqueueWorkflow('pair', { i })),
      );
      const errors = outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value));
      for (const err of errors) expect(err).toBeInstanceOf(EnqueueFailedError);
      const ids = errors.flatMap((err) => (err as EnqueueFailedError).executionIds);
      expect(ids).toHaveLength(10);
      for (const id of ids) {
        const state = await e.engine.getExecution(id);
        expect(state?.status).toBe('cancelled');
        expect(state?.error).toBe('ENQUEUE_FAILED');
      }
      // Redis is back: the late jobs arrive and a reconcile pass runs; nothing runs.
      await e.startRedis();
      await e.engine.reconcile();
      const control = await e.engine.enqueueWorkflow('pair', { control: true });
      await e.engine.waitForExecution(control, { timeoutMs: 10_000 });
      expect(e.runs.get(control)).toBe(2);
      // Every job that reached Redis was taken (and refused for a cancelled execution).
      await until(
        async () => {
          const q = await e.engine.getQueueStats();
          return q.waiting + q.active + q.delayed + q.prioritized === 0;
        },
        10_000,
        'the node queue to drain',
      );
      // Before the fix: every rejected start ran both its nodes.
      expect(ids.filter((id) => e.runs.has(id))).toEqual([]);
    } finally {
      await e.close();
    }
  }, 60_000);

  it('with an idempotency key: outcome unknown, and a retry with the key runs it at once', async () => {
    // Commands fail at once: the failed start's jobs never reach Redis.
    const e = await engineOnPrivateRedis(1);
    try {
      await e.stopRedis();
      const first = await e.engine
        .enqueueWorkflow('pair', { n: 1 }, { idempotencyKey: 'order-7' })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(first).toBeInstanceOf(EnqueueOutcomeUnknownError);
      const [id] = (first as EnqueueOutcomeUnknownError).executionIds;
      expect(id).toBeDefined();
      await e.startRedis();
      // No reconcile pass runs (interval 0): before the fix the retry returned the id
      // with nothing queued, and the execution stayed pending.
      const again = await e.engine.enqueueWorkflow('pair', { n: 1 }, { idempotencyKey: 'order-7' });
      expect(again).toBe(id);
      const done = await e.engine.waitForExecution(again, { timeoutMs: 10_000 });
      expect(done.status).toBe('completed');
      expect(e.runs.get(again)).toBe(2);
    } finally {
      await e.close();
    }
  }, 60_000);
});

describe('enqueue has a definite outcome (Redis down at the quota check)', () => {
  it('rejects with EnqueueFailedError and creates nothing; starts work again once Redis is back', async () => {
    const e = await engineOnPrivateRedis(null, { maxActiveExecutions: 5 });
    try {
      await e.stopRedis();
      const err = await e.engine.enqueueWorkflow('pair', { n: 1 }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(EnqueueFailedError);
      expect((err as EnqueueFailedError).executionIds).toEqual([]);
      expect((await e.store.listExecutions({})).items).toEqual([]);
      await e.startRedis();
      const control = await e.engine.enqueueWorkflow('pair', { control: true });
      expect((await e.engine.waitForExecution(control, { timeoutMs: 10_000 })).status).toBe(
        'completed',
      );
      expect(e.runs.size).toBe(1);
    } finally {
      await e.close();
    }
  }, 60_000);
});

describe('enqueue after close()', () => {
  it('rejects with EngineClosedError before creating anything, during and after close', async ({
    harness,
  }) => {
    const h = await harness();
    const { registry, runs } = countingRegistry();
    const engine = h.peerWith(registry);
    await engine.registerWorkflow(wf('late', [{ id: 'A', type: 'count' }]));
    await engine.startWorkers(1);
    const closing = engine.close();
    const during = await engine.enqueueWorkflow('late').catch((err: unknown) => err);
    await closing;
    const after = await engine.enqueueWorkflow('late').catch((err: unknown) => err);
    const bulk = await engine.enqueueWorkflows([{ workflowId: 'late' }]).catch((err) => err);
    const event = await engine.emitEvent('x', {}).catch((err: unknown) => err);
    for (const err of [during, after, bulk, event]) {
      expect(err).toBeInstanceOf(EngineClosedError);
      expect((err as EngineClosedError).code).toBe('ENGINE_CLOSED');
    }
    // Before the fix: each start created an execution that ran later.
    expect((await h.store.listExecutions({ workflowId: 'late' })).items).toEqual([]);
    expect(runs.size).toBe(0);
  });
});

describe("BullMQ's limits", () => {
  it('takes priority 1..2097151 and refuses 2097152 before creating anything', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'noop',
      exec(async () => ({ success: true })),
    );
    await h.engine.registerWorkflow(wf('prio', [{ id: 'A', type: 'noop' }]));
    await h.engine.startWorkers(1);
    expect(MAX_PRIORITY).toBe(2_097_151);
    for (const priority of [1, MAX_PRIORITY]) {
      const id = await h.engine.enqueueWorkflow('prio', {}, { priority });
      expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    }
    for (const priority of [0, MAX_PRIORITY + 1, 1.5]) {
      // Before the fix 2097152 passed, created the execution, and BullMQ refused its job.
      await expect(h.engine.enqueueWorkflow('prio', {}, { priority })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(
        h.engine.enqueueWorkflows([{ workflowId: 'prio', options: { priority } }]),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect((await h.store.listExecutions({ workflowId: 'prio' })).items).toHaveLength(2);
  });

  it('takes a start delayed to the last exact BullMQ due time, and refuses one past it', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'noop',
      exec(async () => ({ success: true })),
    );
    await h.engine.registerWorkflow(wf('later', [{ id: 'A', type: 'noop' }]));
    const latest = new Date(MAX_DUE_TIME_MS);
    const id = await h.engine.enqueueWorkflow('later', {}, { runAt: latest });
    expect((await h.engine.getExecution(id))?.status).toBe('pending');
    await expect(
      h.engine.enqueueWorkflow('later', {}, { runAt: new Date(MAX_DUE_TIME_MS + 1) }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      h.engine.enqueueWorkflow('later', {}, { delayMs: MAX_DUE_TIME_MS }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await h.store.listExecutions({ workflowId: 'later' })).items).toHaveLength(1);
  });
});
