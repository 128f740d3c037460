import { PostgresExecutionStore } from '@spane/store-postgres';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import {
  type PrivatePostgres,
  startPrivatePostgres,
} from '../../bullmq/test/support/private-postgres.js';
import { type PrivateRedis, startPrivateRedis } from '../../bullmq/test/support/private-redis.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  until,
  wf,
} from './support/http-harness.js';

// Graceful degradation (issue #19): a private Redis and a private PostgreSQL that these
// tests stop, SIGSTOP and start again, under a little load; the API answers 503
// UNAVAILABLE with Retry-After at once while a part a route needs is down.

const MONITOR = { dependencyCheckMs: 200, dependencyTimeoutMs: 200 };
/** Generous bound of a 503 (the 100 ms figure is measured by `pnpm bench:degrade`). */
const FAST_MS = 1_000;

let redis: PrivateRedis | undefined;
let pg: PrivatePostgres | undefined;
let h: HttpHarness | undefined;

afterEach(async () => {
  redis?.thaw();
  pg?.thaw();
  await h?.close();
  await redis?.stop();
  await pg?.stop();
  h = undefined;
  redis = undefined;
  pg = undefined;
});

const admin = bearer(KEYS.adminA);

async function timed(
  app: HttpHarness['app'],
  method: 'GET' | 'POST',
  url: string,
): Promise<{ res: LightMyRequestResponse; ms: number }> {
  const started = performance.now();
  const res = await app.inject({
    method,
    url,
    headers: admin,
    ...(method === 'POST' ? { payload: {} } : {}),
  });
  return { res, ms: performance.now() - started };
}

function expectUnavailable(
  { res, ms }: { res: LightMyRequestResponse; ms: number },
  down: string,
  retryAfter = '1',
): void {
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe(retryAfter);
  expect(res.json().error.code).toBe('UNAVAILABLE');
  expect(res.json().error.details.dependencies).toContain(down);
  expect(ms).toBeLessThan(FAST_MS);
}

/** Starts executions of `echo` until stopped, as the load the outage meets. */
function load(app: HttpHarness['app']): { seen(): number[]; stop(): Promise<number[]> } {
  let running = true;
  const statuses: number[] = [];
  const loop = (async () => {
    while (running) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/workflows/echo/execute',
        headers: admin,
        payload: {},
      });
      statuses.push(res.statusCode);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    seen: () => statuses,
    async stop() {
      running = false;
      await loop;
      return statuses;
    },
  };
}

async function redisHarness(): Promise<HttpHarness> {
  redis = await startPrivateRedis();
  h = await createHttpHarness({ redisUrl: redis.url, engine: MONITOR });
  const reg = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('echo', [{ id: 'a', type: 'echo' }]),
  });
  expect(reg.statusCode).toBe(201);
  return h;
}

for (const how of ['stopped', 'SIGSTOPped'] as const) {
  it(`Redis ${how}: routes that need it answer 503 UNAVAILABLE at once, store reads and probes keep working, recovery without restart`, async () => {
    const { app } = await redisHarness();
    const server = redis as PrivateRedis;
    const traffic = load(app);
    await until(
      async () =>
        (await app.inject({ url: '/api/executions', headers: admin })).json().items?.length > 2,
    );
    if (how === 'stopped') await server.stop();
    else server.freeze();
    // The monitor notices within a ping period and its timeout.
    await until(async () => (await app.inject({ url: '/health/ready' })).statusCode === 503, 5_000);
    // The load meets the outage (a request of it, not only the ones below).
    await until(async () => traffic.seen().includes(503), 5_000);
    const statuses = await traffic.stop();
    expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
    expect(statuses).toContain(503);

    expectUnavailable(await timed(app, 'POST', '/api/workflows/echo/execute'), 'redis');
    expectUnavailable(await timed(app, 'GET', '/api/stats'), 'redis');
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.json().error).toMatchObject({
      code: 'NOT_READY',
      message: 'Not ready: redis down',
    });
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/node-types', headers: admin })).statusCode).toBe(200);
    const list = await timed(app, 'GET', '/api/workflows');
    expect(list.res.statusCode).toBe(200);
    const metrics = await app.inject({ url: '/metrics', headers: admin });
    expect(metrics.body).toContain('spane_dependency_up{dependency="redis"} 0');
    expect(metrics.body).toContain('spane_dependency_up{dependency="store"} 1');

    if (how === 'stopped') redis = await startPrivateRedis({ port: server.port });
    else server.thaw();
    await until(
      async () => (await app.inject({ url: '/health/ready' })).statusCode === 200,
      10_000,
    );
    const again = await app.inject({
      method: 'POST',
      url: '/api/workflows/echo/execute',
      headers: admin,
      payload: {},
    });
    expect(again.statusCode).toBe(202);
    const done = await h?.waitForExecution(again.json().executionId, { timeoutMs: 10_000 });
    expect(done?.status).toBe('completed');
    expect((await app.inject({ url: '/metrics', headers: admin })).body).toContain(
      'spane_dependency_up{dependency="redis"} 1',
    );
  });
}

it('a request in flight when Redis stalls is answered 503 when the monitor sees it, not left waiting', async () => {
  const { app } = await redisHarness();
  (redis as PrivateRedis).freeze();
  const { res, ms } = await timed(app, 'POST', '/api/workflows/echo/execute');
  expect(res.statusCode).toBe(503);
  expect(res.json().error.code).toBe('UNAVAILABLE');
  // One ping period and one ping timeout, with room for a loaded machine.
  expect(ms).toBeLessThan(3_000);
});

for (const how of ['stopped', 'SIGSTOPped'] as const) {
  it(`PostgreSQL ${how}: store routes answer 503 UNAVAILABLE at once, ready names the store, and it all comes back`, async () => {
    pg = await startPrivatePostgres();
    const store = new PostgresExecutionStore({ connectionString: pg.url, schema: 'spane' });
    await store.migrate();
    redis = await startPrivateRedis();
    h = await createHttpHarness({ redisUrl: redis.url, engine: MONITOR, store, storedKeys: false });
    const { app } = h;
    const reg = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: admin,
      payload: wf('echo', [{ id: 'a', type: 'echo' }]),
    });
    expect(reg.statusCode).toBe(201);
    const traffic = load(app);
    await until(
      async () =>
        (await app.inject({ url: '/api/executions', headers: admin })).json().items?.length > 2,
    );
    if (how === 'stopped') await pg.down();
    else pg.freeze();
    await until(async () => (await app.inject({ url: '/health/ready' })).statusCode === 503, 5_000);
    const statuses = await traffic.stop();
    // No 500 while the store went away: started, or refused as unavailable / not started.
    expect(statuses.filter((s) => s === 500)).toEqual([]);

    expectUnavailable(await timed(app, 'GET', '/api/workflows'), 'store');
    expectUnavailable(await timed(app, 'GET', '/api/executions'), 'store');
    expectUnavailable(await timed(app, 'POST', '/api/workflows/echo/execute'), 'store');
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.json().error.message).toBe('Not ready: store down');
    expect((await app.inject({ url: '/api/node-types', headers: admin })).statusCode).toBe(200);

    if (how === 'stopped') await pg.up();
    else pg.thaw();
    await until(
      async () => (await app.inject({ url: '/health/ready' })).statusCode === 200,
      15_000,
    );
    const again = await app.inject({
      method: 'POST',
      url: '/api/workflows/echo/execute',
      headers: admin,
      payload: {},
    });
    expect(again.statusCode).toBe(202);
    const done = await h.waitForExecution(again.json().executionId, { timeoutMs: 15_000 });
    expect(done.status).toBe('completed');
  });
}

/** The monitor's count of pings sent (`DependencyMonitor.pings`). */
function pings(harness: HttpHarness): number {
  return (harness.engine.dependencies as unknown as { pings: number }).pings;
}

it('Redis SIGSTOPped: the first request after the freeze gets its 503 from its own short ping, not the periodic one', async () => {
  redis = await startPrivateRedis();
  // The periodic ping would take 10 s to notice: only the request's own ping can.
  const engine = { dependencyCheckMs: 10_000, dependencyTimeoutMs: 10_000, dependencyFreshMs: 50 };
  h = await createHttpHarness({ redisUrl: redis.url, engine });
  const { app } = h;
  const reg = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('echo', [{ id: 'a', type: 'echo' }]),
  });
  expect(reg.statusCode).toBe(201);
  redis.freeze();
  // Let the last answered ping age past dependencyFreshMs (the subject of this test).
  await new Promise((r) => setTimeout(r, 100));
  const before = pings(h);
  // Retry-After is one ping period (10 s here).
  expectUnavailable(await timed(app, 'POST', '/api/workflows/echo/execute'), 'redis', '10');
  // One ping of Redis and one of the store (both were stale), shared by the request.
  expect(pings(h)).toBe(before + 2);
  // Suspect counts as down: the next request answers at once, with no new Redis ping (at
  // most one of the store, whose answer may be stale again).
  expectUnavailable(await timed(app, 'GET', '/api/stats'), 'redis', '10');
  expect(pings(h)).toBeLessThanOrEqual(before + 3);
  // Store reads do not need Redis.
  expect((await app.inject({ url: '/api/workflows', headers: admin })).statusCode).toBe(200);
  redis.thaw();
  await until(async () => {
    const res = await app.inject({ url: '/api/stats', headers: admin });
    return res.statusCode === 200;
  }, 10_000);
});

it('while all is well, requests share pings: no ping per request', async () => {
  redis = await startPrivateRedis();
  h = await createHttpHarness({ redisUrl: redis.url, engine: { dependencyCheckMs: 1_000 } });
  const { app } = h;
  const before = pings(h);
  const started = performance.now();
  const requests = 400;
  const batch = 40;
  for (let i = 0; i < requests; i += batch) {
    const answers = await Promise.all(
      Array.from({ length: batch }, () => app.inject({ url: '/api/stats', headers: admin })),
    );
    expect(answers.every((res) => res.statusCode === 200)).toBe(true);
  }
  const elapsed = performance.now() - started;
  const sent = pings(h) - before;
  // Per part (Redis, store): at most one ping per dependencyFreshMs (250) and per period,
  // plus one per group of concurrent requests still running after 10 ms (the stall probe).
  const bound =
    2 * (Math.ceil(elapsed / 250) + Math.ceil(elapsed / 1_000) + 1) + 2 * (requests / batch);
  expect(sent).toBeLessThanOrEqual(bound);
  expect(sent).toBeLessThan(requests / 4);
});

it('Redis SIGSTOPped right after a ping answered: the request that passed on it asks again while it runs and gets its 503', async () => {
  redis = await startPrivateRedis();
  // A long freshness window and a 10 s period: only the running request's own probe can tell.
  const engine = {
    dependencyCheckMs: 10_000,
    dependencyTimeoutMs: 10_000,
    dependencyFreshMs: 60_000,
  };
  h = await createHttpHarness({ redisUrl: redis.url, engine });
  const { app } = h;
  const reg = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('echo', [{ id: 'a', type: 'echo' }]),
  });
  expect(reg.statusCode).toBe(201);
  redis.freeze();
  expectUnavailable(await timed(app, 'POST', '/api/workflows/echo/execute'), 'redis', '10');
});
