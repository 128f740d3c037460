import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, NodeRegistry } from '@spane/core';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowEngine, type WorkflowEngineOptions } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import { deferred, exec, silentLogger, TEST_TIMINGS, until, wf } from './support/engine-harness.js';
import { type PrivateCluster, startPrivateCluster } from './support/private-cluster.js';
import { echoInput } from './support/stock-executors.js';
import { createTestStore, type TestStore } from './support/test-store.js';
import { diamond } from './support/workflow-shapes.js';

// The engine on a Redis Cluster of its own (3 masters on loopback ports): every key of a
// hash-tagged prefix in one slot, so BullMQ's and SPANE's multi-key scripts run there.

let cluster: PrivateCluster;
beforeAll(async () => {
  cluster = await startPrivateCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

interface ClusterHarness {
  /** Warnings and errors the engines logged, but the known one (persistence off). */
  problems: string[];
  registry: NodeRegistry;
  engine: WorkflowEngine;
  redis: Cluster;
  prefix: string;
  /** Another engine ("process") on the same cluster, prefix and store, own registry. */
  peer(registry?: NodeRegistry): WorkflowEngine;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function clusterHarness(options: WorkflowEngineOptions = {}): Promise<ClusterHarness> {
  const prefix = `{spane-test-${randomUUID().slice(0, 8)}}`;
  const redis = cluster.client();
  const testStore: TestStore = await createTestStore();
  const registry = new NodeRegistry();
  const problems: string[] = [];
  const note = (message: string, meta?: Record<string, unknown>) => {
    if (!message.includes('persistence is off'))
      problems.push(`${message} ${JSON.stringify(meta)}`);
  };
  const logger = { ...silentLogger, warn: note, error: note };
  const engines: WorkflowEngine[] = [];
  const make = (r: NodeRegistry) => {
    const e = new WorkflowEngine(r, testStore.store, redis, {
      ...TEST_TIMINGS,
      logger,
      ...options,
      prefix,
    });
    engines.push(e);
    return e;
  };
  open.push(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await testStore.dispose();
    await redis.quit();
  });
  return {
    problems,
    registry,
    engine: make(registry),
    redis,
    prefix,
    peer: (r = registry) => make(r),
  };
}

/** Every key of the cluster that starts with `prefix`, by the master holding it. */
async function keysByMaster(redis: Cluster, prefix: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of redis.nodes('master')) {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'COUNT', 1000);
      cursor = next;
      found.push(...keys.filter((k) => k.startsWith(prefix)));
    } while (cursor !== '0');
    if (found.length > 0) out.set(`${node.options.host}:${node.options.port}`, found);
  }
  return out;
}

describe('the engine on a Redis Cluster', () => {
  it('refuses a prefix without a hash tag, takes one with a tag, and checks every master at start', async () => {
    const redis = cluster.client();
    const store = await createTestStore('memory');
    const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger = {
      ...silentLogger,
      warn: (message: string, meta?: Record<string, unknown>) =>
        warnings.push({ message, ...(meta ? { meta } : {}) }),
    };
    try {
      const make = (prefix?: string) =>
        new WorkflowEngine(new NodeRegistry(), store.store, redis, { prefix, logger });
      // What the refusal spares: BullMQ's scripts on keys of several slots.
      const untagged = new Queue('q', { connection: redis, prefix: 'untagged' });
      await expect(untagged.add('job', {})).rejects.toThrow(/CROSSSLOT/);
      await untagged.close();
      expect(() => make('spane')).toThrow(InvalidArgumentError);
      expect(() => make('{}spane')).toThrow(/hash tag/);
      const tagged = make('{acme}:spane');
      const byDefault = make();
      // The cluster's servers run without persistence: each master is named once.
      await until(() => warnings.length >= 3, 10_000, 'a warning per master');
      await Promise.all([tagged.close(), byDefault.close()]);
      expect(warnings.every((w) => w.message.includes('persistence is off'))).toBe(true);
      expect(warnings.map((w) => w.meta?.server).sort()).toEqual(
        cluster.ports.map((p) => `127.0.0.1:${p}`).sort(),
      );
    } finally {
      await store.dispose();
      await redis.quit();
    }
  });

  it('runs a diamond, a join under concurrency across two engines, and keeps every key in one slot', async () => {
    const h = await clusterHarness();
    const joins = new Map<string, number>();
    const body = exec(async (ctx) => {
      if (ctx.nodeId === 'D') joins.set(ctx.executionId, (joins.get(ctx.executionId) ?? 0) + 1);
      await new Promise((r) => setImmediate(r));
      return { success: true, data: { node: ctx.nodeId, input: ctx.inputData } };
    });
    h.registry.register('step', body);
    const other = new NodeRegistry();
    other.register('step', body);
    const engine2 = h.peer(other);
    await h.engine.registerWorkflow(diamond('diamond', 'step'));
    await h.engine.startWorkers(4);
    await engine2.startWorkers(4);

    const [first] = await h.engine.enqueueWorkflows([
      { workflowId: 'diamond', initialData: { n: 1 } },
    ]);
    const state = await h.engine.waitForExecution(first!, { timeoutMs: 15_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.D?.data).toEqual({
      node: 'D',
      input: {
        B: { node: 'B', input: { node: 'A', input: { n: 1 } } },
        C: { node: 'C', input: { node: 'A', input: { n: 1 } } },
      },
    });

    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 30 }, (_, n) => ({ workflowId: 'diamond', initialData: { n } })),
    );
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 30_000 })),
    );
    expect(states.every((s) => s.status === 'completed')).toBe(true);
    for (const id of [first!, ...ids]) expect(joins.get(id)).toBe(1);

    const byMaster = await keysByMaster(h.redis, h.prefix);
    const keys = [...byMaster.values()].flat();
    expect(keys.length).toBeGreaterThan(0);
    expect([...byMaster.keys()]).toHaveLength(1);
    const slots = new Set(
      await Promise.all(keys.map((k) => h.redis.cluster('KEYSLOT', k) as Promise<number>)),
    );
    expect(slots.size).toBe(1);

    expect(await h.engine.checkHealth()).toMatchObject({
      ok: true,
      redis: true,
      store: true,
      workers: true,
    });
    expect(await h.engine.getQueueStats()).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(await h.engine.reconcile()).toMatchObject({ checked: 0, requeued: 0 });
    expect(h.problems).toEqual([]);
  }, 60_000);

  it("bounds a workflow's running nodes with maxConcurrency across two engines", async () => {
    const h = await clusterHarness();
    const gate = deferred();
    const seen = { running: 0, max: 0, runs: 0 };
    const hold = exec(async (ctx) => {
      seen.running += 1;
      seen.runs += 1;
      seen.max = Math.max(seen.max, seen.running);
      await gate.promise;
      seen.running -= 1;
      return { success: true, data: ctx.nodeId };
    });
    h.registry.register('hold', hold);
    const engine2 = h.peer();
    await h.engine.registerWorkflow(
      wf(
        'limited',
        [
          { id: 'A', type: 'hold' },
          { id: 'B', type: 'hold' },
          { id: 'C', type: 'hold' },
        ],
        {
          maxConcurrency: 2,
        },
      ),
    );
    await h.engine.startWorkers(4);
    await engine2.startWorkers(4);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 3 }, () => ({ workflowId: 'limited' })),
    );
    await until(
      async () =>
        seen.running === 2 &&
        (await h.redis.zcard(`${h.prefix}:concurrency:default:limited:waiting`)) === 7,
      15_000,
      'two running and seven waiting',
    );
    expect(seen.runs).toBe(2);
    gate.resolve();
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 20_000 })),
    );
    expect(states.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(seen.max).toBe(2);
    expect(seen.runs).toBe(9);
    expect(h.problems).toEqual([]);
  }, 60_000);

  it('starts workflows from webhook deliveries', async () => {
    const h = await clusterHarness();
    h.registry.register('echo', echoInput);
    const hook = (id: string) =>
      wf(id, [{ id: 'N', type: 'echo' }], { triggers: [{ type: 'webhook', path: 'orders/new' }] });
    await h.engine.registerWorkflow(hook('hook-a'));
    await h.engine.registerWorkflow(hook('hook-b'));
    await h.engine.startWorkers(2);
    const ids = await h.engine.triggerWebhook('orders/new', 'POST', Buffer.from('{"n":1}'), {
      'content-type': 'application/json',
    });
    expect(ids).toHaveLength(2);
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 15_000 })),
    );
    expect(states.map((s) => s.workflowId).sort()).toEqual(['hook-a', 'hook-b']);
    for (const s of states) {
      expect(s.status).toBe('completed');
      expect(s.nodeResults.N?.data).toMatchObject({ body: { n: 1 } });
    }
    await h.engine.unregisterWorkflow('hook-b');
    const after = await h.engine.triggerWebhook('orders/new', 'POST', '{}', {});
    expect(after).toHaveLength(1);
    expect(h.problems).toEqual([]);
  }, 60_000);

  it('pauses, resumes and cancels executions', async () => {
    const h = await clusterHarness();
    const aStarted = deferred();
    const releaseA = deferred();
    const calls = new Map<string, number>();
    h.registry.register(
      'gate',
      exec(async (ctx) => {
        calls.set(ctx.nodeId, (calls.get(ctx.nodeId) ?? 0) + 1);
        aStarted.resolve();
        await releaseA.promise;
        return { success: true, data: 'a' };
      }),
    );
    h.registry.register(
      'step',
      exec(async (ctx) => {
        calls.set(ctx.nodeId, (calls.get(ctx.nodeId) ?? 0) + 1);
        return { success: true, data: ctx.nodeId };
      }),
    );
    const blocked = deferred();
    h.registry.register(
      'forever',
      exec(async (ctx) => {
        blocked.resolve();
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
        );
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf('pausable', [
        { id: 'A', type: 'gate' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('stuck', [
        { id: 'X', type: 'forever' },
        { id: 'Y', type: 'step', inputs: ['X'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('pausable');
    await aStarted.promise;
    await h.engine.pauseWorkflow(id);
    expect((await h.engine.getExecution(id))?.status).toBe('paused');
    releaseA.resolve();
    await until(
      async () => (await h.redis.sismember(`${h.prefix}:parked:${id}`, nodeJobId(id, 'B'))) === 1,
      10_000,
      'B to be parked',
    );
    expect(calls.get('B')).toBeUndefined();
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('completed');
    expect(Object.fromEntries(calls)).toEqual({ A: 1, B: 1, C: 1 });

    const stuck = await h.engine.enqueueWorkflow('stuck');
    await blocked.promise;
    await h.engine.cancelWorkflow(stuck);
    const cancelled = await h.engine.waitForExecution(stuck, { timeoutMs: 15_000 });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.nodeResults.Y?.status).not.toBe('completed');
    expect(h.problems).toEqual([]);
  }, 60_000);

  it('runs delay and sub-workflow nodes, limited node types, retries and a DLQ retry', async () => {
    const h = await clusterHarness();
    let fail = true;
    const attempts: number[] = [];
    h.registry.register(
      'flaky',
      exec(async (ctx) => {
        attempts.push(ctx.attempt);
        if (fail) throw new Error('down');
        return { success: true, data: 'ok' };
      }),
    );
    h.registry.register('limited', echoInput, {
      concurrency: 1,
      rateLimit: { max: 5, durationMs: 100 },
    });
    await h.engine.registerWorkflow(
      wf('child', [
        { id: 'L', type: 'limited' },
        { id: 'W', type: 'delay', inputs: ['L'], config: { durationMs: 50 } },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('parent', [
        { id: 'S', type: 'sub-workflow', config: { workflowId: 'child' } },
        { id: 'F', type: 'flaky', inputs: ['S'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('parent', { v: 7 });
    expect((await h.engine.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('failed');
    expect(attempts).toEqual([1, 2, 3]);
    const [item] = await h.engine.getDLQItems();
    expect(item).toMatchObject({ executionId: id, nodeId: 'F' });
    fail = false;
    await h.engine.retryDLQItem(item!.id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.F).toMatchObject({ status: 'completed', data: 'ok' });
    expect(state.nodeResults.S?.status).toBe('completed');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(h.problems).toEqual([]);
  }, 60_000);
});
