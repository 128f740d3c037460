import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { IDLE_QUEUE_KEYS_TTL_MS } from '../src/idle-queue-keys.js';
import { exec, type Harness, keysOf, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

/** Every key under the prefix, with its time to live in ms (-1: none; keys gone meanwhile left out). */
async function keysWithTtl(redis: Redis, prefix: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      // -2: expired since the scan listed it (a stall check's key lives half a second).
      if (ttl !== -2) found.set(key.slice(prefix.length + 1), ttl);
    }
  } while (cursor !== '0');
  return found;
}

/** Node types and workflows of several shapes: a join, retries, a delay, a child, limits. */
async function registerShapes(h: Harness): Promise<string[]> {
  h.registry.register(
    'pass',
    exec(async (ctx) => ({ success: true, data: ctx.inputData ?? {} })),
  );
  h.registry.register(
    'down',
    exec(async () => ({ success: false, error: 'always down' })),
  );
  // A type with limits has a queue of its own.
  h.registry.register(
    'limited',
    exec(async () => ({ success: true, data: { ok: true } })),
    { concurrency: 1, rateLimit: { max: 50, durationMs: 1_000 } },
  );
  const workflows = [
    wf(
      'join',
      [
        { id: 'load', type: 'pass' },
        { id: 'left', type: 'pass', inputs: ['load'] },
        { id: 'right', type: 'limited', inputs: ['load'] },
        { id: 'merge', type: 'pass', inputs: ['left', 'right'] },
      ],
      { timeoutMs: 60_000 },
    ),
    wf('fails', [{ id: 'a', type: 'down', retry: { attempts: 2 } }]),
    wf('waits', [{ id: 'w', type: 'delay', config: { durationMs: 50 } }], { maxConcurrency: 1 }),
    wf('parent', [{ id: 's', type: 'sub-workflow', config: { workflowId: 'join' } }]),
  ];
  for (const w of workflows) await h.engine.registerWorkflow(w);
  return workflows.map((w) => w.id);
}

describe('Redis keys a finished execution leaves', () => {
  it('none of its own; once the engine closes, every key of the prefix expires', async ({
    harness,
  }) => {
    const h = await harness();
    const workflowIds = await registerShapes(h);
    await h.engine.startWorkers(4);
    const ids: string[] = [];
    for (const workflowId of workflowIds) {
      const id = await h.engine.enqueueWorkflow(
        workflowId,
        { n: 1 },
        { idempotencyKey: workflowId },
      );
      const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
      expect(state.status, workflowId).toBe(workflowId === 'fails' ? 'failed' : 'completed');
      ids.push(id);
    }
    // Paused while it waits (its job parks), then resumed; and one cancelled while waiting.
    const paused = await h.engine.enqueueWorkflow('waits');
    await h.engine.pauseWorkflow(paused);
    await h.engine.resumeWorkflow(paused);
    expect((await h.engine.waitForExecution(paused, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    const cancelled = await h.engine.enqueueWorkflow('join', { n: 2 }, { delayMs: 60_000 });
    await h.engine.cancelWorkflow(cancelled);
    ids.push(paused, cancelled);
    // Nothing names a finished execution (its jobs, timeout job, parked sets, slots) even
    // while the engine runs — once the job that ended it is done (this process hears the
    // end as it is recorded, before that job leaves Redis).
    const named = async () =>
      (await Promise.all(ids.map((id) => keysOf(h.redis, h.prefix, id)))).flat();
    await until(
      async () => (await named()).length === 0,
      5_000,
      'no key names a finished execution',
    );
    expect(await named()).toEqual([]);
    expect(await h.redis.exists(`${h.prefix}:concurrency`)).toBe(0);

    await h.engine.close();
    const left = await keysWithTtl(h.redis, h.prefix);
    // The queues' own keys stay a while (a day), the workers' stall checks seconds.
    expect([...left.keys()]).toEqual(expect.arrayContaining(['nodes:meta', 'control:meta']));
    for (const [key, ttl] of left) {
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(IDLE_QUEUE_KEYS_TTL_MS);
    }
  });

  it('a queue another engine still serves keeps its keys; a worker takes the expiry off when it connects', async ({
    harness,
  }) => {
    const h = await harness();
    await registerShapes(h);
    const other = h.peer();
    await h.engine.startWorkers(2);
    await other.startWorkers(2);
    const first = await h.engine.enqueueWorkflow('join', { n: 1 });
    expect((await h.engine.waitForExecution(first, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    const queueKeys = ['nodes:meta', 'nodes:id', 'nodes:events', 'nodes-limited:meta'];

    // The other engine's workers still serve the queues: no expiry.
    await h.engine.close();
    let left = await keysWithTtl(h.redis, h.prefix);
    for (const key of queueKeys) expect(left.get(key), key).toBe(-1);

    // The last one closes: the keys expire…
    await other.close();
    left = await keysWithTtl(h.redis, h.prefix);
    for (const key of queueKeys) expect(left.get(key), key).toBeGreaterThan(0);

    // …until an engine's workers connect to the queues again.
    const next = h.peer();
    await next.startWorkers(2);
    await until(
      async () => {
        const now = await keysWithTtl(h.redis, h.prefix);
        return queueKeys.every((key) => now.get(key) === -1);
      },
      5_000,
      'the expiry to be taken off',
    );
    const second = await next.enqueueWorkflow('join', { n: 2 });
    expect((await next.waitForExecution(second, { timeoutMs: 10_000 })).status).toBe('completed');
  });

  it('a queue whose keys expired works as before: BullMQ makes them again', async ({ harness }) => {
    const h = await harness();
    await registerShapes(h);
    await h.engine.startWorkers(2);
    const first = await h.engine.enqueueWorkflow('join', { n: 1 });
    expect((await h.engine.waitForExecution(first, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    await h.engine.close();
    // As if the day had passed.
    const expiring = [...(await keysWithTtl(h.redis, h.prefix))].filter(([, ttl]) => ttl > 0);
    expect(expiring.length).toBeGreaterThan(0);
    await h.redis.del(...expiring.map(([key]) => `${h.prefix}:${key}`));

    const next = h.peer();
    await next.startWorkers(2);
    const second = await next.enqueueWorkflow('join', { n: 2 });
    expect((await next.waitForExecution(second, { timeoutMs: 10_000 })).status).toBe('completed');
    // The limited type's queue got its global concurrency back.
    expect(await h.redis.hget(`${h.prefix}:nodes-limited:meta`, 'concurrency')).toBe('1');
  });
});
