import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  REDIS_URL,
  until,
  wf,
} from './support/http-harness.js';

let h: HttpHarness;
let redis: Redis;
const admin = bearer(KEYS.adminA);

beforeAll(async () => {
  h = await createHttpHarness({ engine: { workerHeartbeatMs: 200, workerStuckAfterMs: 300 } });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await h?.close();
  await redis?.quit();
});

it('ready and /metrics show a worker that is up but takes no job while jobs wait as stuck', async () => {
  const registered = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('liveness', [{ id: 'a', type: 'echo' }]),
  });
  expect(registered.statusCode, registered.body).toBe(201);
  // BullMQ's global concurrency of the `nodes` queue set to 0 (what its
  // Queue.setGlobalConcurrency(0) writes): the worker stays up and takes nothing.
  await redis.hset(`${h.prefix}:nodes:meta`, 'concurrency', 0);
  const started = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/liveness/execute',
    headers: admin,
  });
  expect(started.statusCode, started.body).toBe(202);

  const ready = (await until(async () => {
    const res = await h.app.inject({ url: '/health/ready' });
    return res.json().liveWorkers?.stuck === 1 ? res : undefined;
  }))!;
  // Stuck workers are reported, not a reason for this process to leave the load balancer.
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toMatchObject({
    ok: true,
    workers: true,
    liveWorkers: { live: 1, stuck: 1 },
  });
  const stats = await h.app.inject({ url: '/api/stats', headers: admin });
  expect(stats.json().workers).toEqual({ live: 1, stuck: 1 });
  const metrics = await until(async () => {
    const res = await h.app.inject({ url: '/metrics', headers: admin });
    return /^spane_workers_stuck 1$/m.test(res.body) ? res.body : undefined;
  });
  expect(metrics).toMatch(/^spane_workers_live 1$/m);

  await redis.hdel(`${h.prefix}:nodes:meta`, 'concurrency');
  const id = started.json().executionId as string;
  // The worker wakes at its next blocking-read timeout (BullMQ's drainDelay, 5 s).
  expect((await h.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
  await until(async () => {
    const res = await h.app.inject({ url: '/health/ready' });
    return res.json().liveWorkers?.stuck === 0;
  });
});
