import {
  DLQItemNotFoundError,
  ExecutionNotFoundError,
  NodeRegistry,
  NonRetryableError,
  WorkflowNotFoundError,
} from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { deleteKeys, exec, type Harness, REDIS_URL, wf } from './support/engine-harness.js';
import { type HarnessFactory, it } from './support/harness-fixture.js';

const ACME = { tenantId: 'acme' };
const GLOBEX = { tenantId: 'globex' };

/** A harness with a two-node workflow `flow` of tenant `acme`; a node fails for good on input `{ fail: true }`. */
async function twoTenants(harness: HarnessFactory): Promise<Harness> {
  const h = await harness();
  h.registry.register(
    'step',
    exec(async (ctx) => {
      if ((ctx.inputData as { fail?: boolean } | undefined)?.fail) {
        throw new NonRetryableError('told to fail');
      }
      return { success: true, data: ctx.inputData };
    }),
  );
  await h.engine.registerWorkflow(
    wf('flow', [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'step', inputs: ['A'] },
    ]),
    ACME,
  );
  return h;
}

describe('tenancy in the engine API', () => {
  it('an execution of another tenant answers exactly like a missing one', async ({ harness }) => {
    const h = await twoTenants(harness);
    const { engine } = h;
    await engine.startWorkers(2);
    const id = await engine.enqueueWorkflow('flow', { n: 1 }, ACME);
    const done = await engine.waitForExecution(id, { timeoutMs: 10_000 }, ACME);
    expect(done.status).toBe('completed');

    // The owner sees it; the light read carries no node outputs or initial data.
    expect((await engine.getExecution(id, ACME))?.nodeResults.B?.data).toEqual({ n: 1 });
    const summary = await engine.getExecutionSummary(id, ACME);
    expect(summary).toMatchObject({ executionId: id, status: 'completed', tenantId: 'acme' });
    expect(summary).not.toHaveProperty('nodeResults');
    expect(summary).not.toHaveProperty('initialData');
    expect((await engine.getLogs(id, ACME)).length).toBeGreaterThan(0);
    expect(await engine.getTrace(id, ACME)).toHaveLength(2);

    // Another tenant, and no scope at all (the default tenant), see nothing.
    for (const scope of [GLOBEX, undefined]) {
      expect(await engine.getExecution(id, scope)).toBeNull();
      expect(await engine.getExecutionSummary(id, scope)).toBeNull();
      await expect(engine.getLogs(id, scope)).rejects.toBeInstanceOf(ExecutionNotFoundError);
      await expect(engine.getTrace(id, scope)).rejects.toBeInstanceOf(ExecutionNotFoundError);
      await expect(engine.waitForExecution(id, { timeoutMs: 1_000 }, scope)).rejects.toBeInstanceOf(
        ExecutionNotFoundError,
      );
      await expect(engine.replayWorkflow(id, {}, scope)).rejects.toBeInstanceOf(
        ExecutionNotFoundError,
      );
      await expect(engine.enqueueNode(id, 'flow', 'B', scope)).rejects.toBeInstanceOf(
        ExecutionNotFoundError,
      );
    }
    // The owner can replay it.
    const replayed = await engine.replayWorkflow(id, {}, ACME);
    expect((await engine.waitForExecution(replayed, { timeoutMs: 10_000 }, ACME)).status).toBe(
      'completed',
    );
  });

  it('pause, resume and cancel of another tenant’s execution are refused as not found and change nothing', async ({
    harness,
  }) => {
    const h = await twoTenants(harness);
    const { engine } = h;
    // No workers: the execution stays pending with its entry node queued.
    const id = await engine.enqueueWorkflow('flow', {}, ACME);
    for (const act of [
      () => engine.pauseWorkflow(id, GLOBEX),
      () => engine.resumeWorkflow(id, GLOBEX),
      () => engine.cancelWorkflow(id, GLOBEX),
      () => engine.cancelWorkflow(id),
      () => engine.cancelWorkflows([id], GLOBEX),
    ]) {
      await expect(act()).rejects.toBeInstanceOf(ExecutionNotFoundError);
    }
    expect((await engine.getExecutionSummary(id, ACME))?.status).toBe('pending');
    await engine.pauseWorkflow(id, ACME);
    expect((await engine.getExecutionSummary(id, ACME))?.status).toBe('paused');
    await engine.cancelWorkflow(id, ACME);
    expect((await engine.getExecutionSummary(id, ACME))?.status).toBe('cancelled');
  });

  it('a dead-letter item is found, counted and retried only in its tenant', async ({ harness }) => {
    const h = await twoTenants(harness);
    const { engine } = h;
    await engine.startWorkers(2);
    const id = await engine.enqueueWorkflow('flow', { fail: true }, ACME);
    expect((await engine.waitForExecution(id, { timeoutMs: 10_000 }, ACME)).status).toBe('failed');
    const [item] = await engine.getDLQItems(0, -1, ACME);
    expect(item).toMatchObject({ executionId: id, nodeId: 'A', tenantId: 'acme' });

    expect(await engine.getDLQItem(item!.id, ACME)).toEqual(item);
    expect(await engine.getDLQItem(item!.id, GLOBEX)).toBeNull();
    expect(await engine.getDLQItem(item!.id)).toBeNull();
    expect(await engine.getDLQItems(0, -1, GLOBEX)).toEqual([]);
    await expect(engine.retryDLQItem(item!.id, GLOBEX)).rejects.toBeInstanceOf(
      DLQItemNotFoundError,
    );
    expect(await engine.getDLQItem(item!.id, ACME)).toEqual(item);

    expect((await engine.getQueueStats(ACME)).dlq).toBe(1);
    expect((await engine.getQueueStats(GLOBEX)).dlq).toBe(0);
    expect((await engine.getQueueStats()).dlq, 'no scope: every tenant').toBe(1);
  });

  it('getDLQItems pages with inclusive start and end over the store’s cursor pages', async ({
    harness,
  }) => {
    const h = await harness();
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const item = await h.store.addDLQItem({
        workflowId: 'wf',
        executionId: `e-${i}`,
        nodeId: 'A',
        tenantId: 'acme',
        error: 'x',
        attempts: 1,
      });
      ids.push(item.id);
    }
    const newest = [...ids].reverse();
    const idsOf = (items: { id: string }[]) => items.map((i) => i.id);
    expect(idsOf(await h.engine.getDLQItems(0, -1, ACME))).toEqual(newest);
    expect(idsOf(await h.engine.getDLQItems(0, 1, ACME))).toEqual(newest.slice(0, 2));
    expect(idsOf(await h.engine.getDLQItems(49, 52, ACME))).toEqual(newest.slice(49, 53));
    expect(idsOf(await h.engine.getDLQItems(110, -1, ACME))).toEqual(newest.slice(110));
    expect(idsOf(await h.engine.getDLQItems(0, -3, ACME))).toEqual(newest.slice(0, 118));
    expect(await h.engine.getDLQItems(200, 300, ACME)).toEqual([]);
  });

  it('a workflow of another tenant is not found', async ({ harness }) => {
    const h = await twoTenants(harness);
    expect(await h.engine.getWorkflow('flow', GLOBEX)).toBeNull();
    expect(await h.engine.listWorkflowVersions('flow', GLOBEX)).toEqual([]);
    expect(await h.engine.unregisterWorkflow('flow', GLOBEX)).toBe(false);
    await expect(h.engine.enqueueWorkflow('flow', {}, GLOBEX)).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect((await h.engine.getWorkflow('flow', ACME))?.workflowId).toBe('flow');
  });
});

describe('health', () => {
  it('checkHealth asks the store’s ping: a store that cannot reach its database is down', async () => {
    // A real PostgreSQL store whose server does not exist (nothing listens on port 1).
    const store = new PostgresExecutionStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
    });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const prefix = `spane-test-health-${process.pid}`;
    const engine = new WorkflowEngine(new NodeRegistry(), store, redis, { prefix });
    try {
      await expect(store.ping()).rejects.toBeDefined();
      expect(await engine.checkHealth()).toMatchObject({ ok: false, redis: true, store: false });
    } finally {
      await engine.close();
      await store.close();
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });
});
