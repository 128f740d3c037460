import { hostname } from 'node:os';
import { InvalidArgumentError, NodeRegistry, type WorkerFleet } from '@spane/core';
import { Queue } from 'bullmq';
import { expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { NODE_QUEUE } from '../src/node-queues.js';
import { deferred, exec, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createTestStore } from './support/test-store.js';

/** Fast heartbeats so the tests see them within a poll's deadline. */
const LIVENESS = { workerHeartbeatMs: 200, workerStuckAfterMs: 500 };

async function fleet(engine: WorkflowEngine): Promise<WorkerFleet> {
  const { workers } = await engine.getQueueStats();
  if (!workers) throw new Error('getQueueStats reported no workers');
  return workers;
}

it('every engine with workers publishes a heartbeat; a closed engine leaves at once', async ({
  harness,
}) => {
  const h = await harness(LIVENESS);
  // An engine without workers publishes nothing.
  expect(await fleet(h.engine)).toEqual({ live: 0, stuck: 0, list: [] });
  const peer = h.peer();
  await h.engine.startWorkers(2);
  await peer.startWorkers(3);
  const both = await until(async () => {
    const f = await fleet(h.engine);
    return f.live === 2 ? f : undefined;
  });
  expect(both.stuck).toBe(0);
  expect(new Set(both.list.map((w) => w.id)).size).toBe(2);
  expect(both.list.map((w) => w.slots).sort()).toEqual([2, 3]);
  for (const w of both.list) {
    expect(w).toMatchObject({ host: hostname(), pid: process.pid, busy: 0, lastFetchAgeMs: null });
    expect(w.id).toMatch(/^spane-[0-9a-f-]{36}$/);
    expect(w.heartbeatAgeMs).toBeLessThan(3 * LIVENESS.workerHeartbeatMs);
  }
  // The peer's view is the same fleet.
  expect((await fleet(peer)).list.map((w) => w.id)).toEqual(both.list.map((w) => w.id));
  // checkHealth counts the fleet too.
  expect((await h.engine.checkHealth()).liveWorkers).toEqual({ live: 2, stuck: 0 });

  await peer.close();
  const after = await fleet(h.engine);
  expect(after.live).toBe(1);
  expect(after.list[0]?.slots).toBe(2);
});

it('a heartbeat left by a process that died expires and is removed; junk is ignored', async ({
  harness,
}) => {
  const h = await harness(LIVENESS);
  const key = `${h.prefix}:workers`;
  const dead = { host: 'gone', pid: 1, busy: 0, slots: 1, beatAt: 1, expiresAt: 2, startedAt: 1 };
  await h.redis.hset(key, 'spane-dead', JSON.stringify(dead), 'spane-junk', 'not json');
  await h.engine.startWorkers(1);
  const f = await until(async () => {
    const seen = await fleet(h.engine);
    return seen.live === 1 ? seen : undefined;
  });
  expect(f.list.map((w) => w.host)).toEqual([hostname()]);
  await until(async () => (await h.redis.hlen(key)) === 1, 5_000, 'the dead heartbeats removed');
  // The hash expires with its last heartbeat: it never outlives every worker for long.
  const ttl = await h.redis.pttl(key);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(3 * LIVENESS.workerHeartbeatMs);
});

it('a worker whose executor holds every slot shows busy = slots and is not stuck', async ({
  harness,
}) => {
  const h = await harness(LIVENESS);
  const gate = deferred();
  let running = 0;
  h.registry.register(
    'hold',
    exec(async () => {
      running += 1;
      await gate.promise;
      return { success: true, data: {} };
    }),
  );
  await h.engine.registerWorkflow(wf('held', [{ id: 'A', type: 'hold' }]));
  await h.engine.startWorkers(2);
  const ids = [
    await h.engine.enqueueWorkflow('held'),
    await h.engine.enqueueWorkflow('held'),
    await h.engine.enqueueWorkflow('held'),
  ];
  await until(() => running === 2, 10_000, 'both slots running');
  const full = await until(async () => {
    const f = await fleet(h.engine);
    const w = f.list[0];
    // Full, and past the stuck threshold since its last fetch, with a job waiting.
    return w && w.busy === 2 && (w.lastFetchAgeMs ?? 0) > LIVENESS.workerStuckAfterMs
      ? f
      : undefined;
  });
  expect(full.list[0]).toMatchObject({ busy: 2, slots: 2, stuck: false });
  expect(full.stuck).toBe(0);
  expect((await h.engine.getQueueStats()).waiting).toBe(1);

  gate.resolve();
  for (const id of ids) {
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
  }
  const idle = await until(async () => {
    const w = (await fleet(h.engine)).list[0];
    return w?.busy === 0 ? w : undefined;
  });
  expect(idle.lastFetchAgeMs).not.toBeNull();
});

it('a live worker with free slots that takes no job while jobs wait is stuck', async ({
  harness,
}) => {
  const h = await harness(LIVENESS);
  h.registry.register(
    'quick',
    exec(async () => ({ success: true, data: {} })),
  );
  await h.engine.registerWorkflow(wf('quick', [{ id: 'A', type: 'quick' }]));
  await h.engine.startWorkers(2);
  const first = await h.engine.enqueueWorkflow('quick');
  await h.engine.waitForExecution(first, { timeoutMs: 10_000 });
  // Idle past the threshold with nothing waiting: not stuck.
  const idle = await until(async () => {
    const w = (await fleet(h.engine)).list[0];
    return w && (w.lastFetchAgeMs ?? 0) > LIVENESS.workerStuckAfterMs ? w : undefined;
  });
  expect(idle.stuck).toBe(false);

  // The queue takes no job out any more (BullMQ's global concurrency 0): the worker
  // stays up, jobs wait.
  const nodes = new Queue(NODE_QUEUE, { connection: h.redis, prefix: h.prefix });
  try {
    await nodes.setGlobalConcurrency(0);
    const waiting = await h.engine.enqueueWorkflow('quick');
    const stuck = await until(async () => {
      const f = await fleet(h.engine);
      return f.stuck === 1 ? f : undefined;
    });
    expect(stuck.live).toBe(1);
    expect(stuck.list[0]).toMatchObject({ busy: 0, slots: 2, stuck: true });
    const health = await h.engine.checkHealth();
    expect(health.liveWorkers).toEqual({ live: 1, stuck: 1 });
    // Informational: the process's own parts are fine.
    expect(health.ok).toBe(true);

    await nodes.removeGlobalConcurrency();
    // A new job wakes the worker (its marker), which takes both.
    const next = await h.engine.enqueueWorkflow('quick');
    for (const id of [waiting, next]) {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
    }
    await until(async () => (await fleet(h.engine)).stuck === 0, 5_000, 'stuck cleared');
  } finally {
    await nodes.close();
  }
});

it('refuses a heartbeat interval under 100 ms and a negative stuck threshold', async () => {
  const { store, dispose } = await createTestStore();
  try {
    const make = (o: object) => new WorkflowEngine(new NodeRegistry(), store, 'redis://x', o);
    expect(() => make({ workerHeartbeatMs: 99 })).toThrow(InvalidArgumentError);
    expect(() => make({ workerStuckAfterMs: -1 })).toThrow(InvalidArgumentError);
  } finally {
    await dispose();
  }
});
