import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import rateLimitPlugin from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// Test-only: the private redis-server helper of @spane/bullmq's tests.
import { freePort } from '../../bullmq/test/support/private-redis.js';
import { ApiKeyStore, type SpaneHttpOptions, spaneHttp } from '../src/index.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEY_SPEC,
  KEYS,
  REDIS_URL,
  until,
} from './support/http-harness.js';

const ATTACKER = '203.0.113.7';
const OTHER = '198.51.100.20';

let h: HttpHarness;
let redis: Redis;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  h = await createHttpHarness({ workers: false, http: { rateLimit: false } });
  redis = new Redis(REDIS_URL);
  await until(() => redis.status === 'ready');
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});
afterAll(async () => {
  await h.close();
  const keys = await redis.keys('spane-rl-test-*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** The API on the harness's engine with these rate limits (and a log when given). */
async function api(
  rateLimit: SpaneHttpOptions['rateLimit'],
  log?: { write(line: string): void },
): Promise<FastifyInstance> {
  const app = Fastify({ logger: log ? { level: 'warn', stream: log } : false });
  await app.register(spaneHttp, {
    engine: h.engine,
    auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
    // These tests are about counting: on a loaded machine Redis may take longer than the
    // 150 ms default bound, past which the limiter fails open (tested on its own below).
    rateLimit:
      rateLimit !== false && rateLimit?.redis && rateLimit.redisTimeoutMs === undefined
        ? { ...rateLimit, redisTimeoutMs: 5_000 }
        : rateLimit,
  });
  await app.ready();
  apps.push(app);
  return app;
}

const prefix = () => `spane-rl-test-${randomUUID().slice(0, 8)}:`;

describe('failed authentication', () => {
  it('answers 429 RATE_LIMITED with Retry-After after the limit of 3,000 wrong-key requests; other IPs are unaffected', async () => {
    const app = await api({ redis, prefix: prefix(), failedAuth: { max: 20, windowMs: 60_000 } });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<FastifyInstance['inject']>> | undefined;
    for (let batch = 0; batch < 30; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          app.inject({
            method: 'GET',
            url: '/api/workflows',
            remoteAddress: ATTACKER,
            headers: bearer(`wrong-key-${batch}-${i}-00000000`),
          }),
        ),
      );
      for (const res of answers) {
        statuses.push(res.statusCode);
        if (res.statusCode === 429) limited ??= res;
      }
    }
    expect(statuses).toHaveLength(3000);
    // The first batch runs concurrently: each request peeks before any failure is counted.
    const unauthorized = statuses.filter((s) => s === 401).length;
    expect(unauthorized).toBeGreaterThanOrEqual(20);
    expect(unauthorized).toBeLessThanOrEqual(100);
    expect(statuses.slice(100).every((s) => s === 429)).toBe(true);
    expect(limited?.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const retryAfter = Number(limited?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Even a valid key is refused from the blocked address, before it is checked …
    const blocked = await app.inject({
      method: 'GET',
      url: '/api/workflows',
      remoteAddress: ATTACKER,
      headers: bearer(KEYS.readA),
    });
    expect(blocked.statusCode).toBe(429);
    // … while another address with a valid key is served, and the probes always answer.
    const other = await app.inject({
      method: 'GET',
      url: '/api/workflows',
      remoteAddress: OTHER,
      headers: bearer(KEYS.readA),
    });
    expect(other.statusCode).toBe(200);
    const live = await app.inject({ method: 'GET', url: '/health/live', remoteAddress: ATTACKER });
    expect(live.statusCode).toBe(200);
  });

  it('counts missing keys too, exactly max of them, sequentially', async () => {
    const app = await api({ prefix: 'unused', failedAuth: { max: 5, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await app.inject({ url: '/api/stats', remoteAddress: ATTACKER })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });
});

describe('per-key and per-IP limits', () => {
  it('answers 429 past the per-key limit, with X-RateLimit headers, and serves the key again after the window', async () => {
    const app = await api({ redis, prefix: prefix(), perKey: { max: 5, windowMs: 1_000 } });
    const get = (key: string) =>
      app.inject({ method: 'GET', url: '/api/workflows', headers: bearer(key) });
    const first = await get(KEYS.readA);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('5');
    expect(first.headers['x-ratelimit-remaining']).toBe('4');
    for (let i = 0; i < 4; i++) expect((await get(KEYS.readA)).statusCode).toBe(200);
    const over = await get(KEYS.readA);
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('RATE_LIMITED');
    expect(over.headers['retry-after']).toBe('1');
    // Another key of the same address and tenant has its own count.
    expect((await get(KEYS.adminA)).statusCode).toBe(200);
    // The window passes: the key is served again.
    const again = await until(async () => {
      const res = await get(KEYS.readA);
      return res.statusCode === 200 ? res : undefined;
    }, 5_000);
    expect(again?.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('limits routes without a key per IP (webhooks, docs, unknown routes)', async () => {
    const app = await api({ perIp: { max: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (const url of ['/docs/json', '/api/webhooks/x', '/nope', '/docs/json']) {
      statuses.push((await app.inject({ url, remoteAddress: ATTACKER })).statusCode);
    }
    expect(statuses).toEqual([200, 404, 404, 429]);
    expect((await app.inject({ url: '/docs/json', remoteAddress: OTHER })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ url: '/health/ready', remoteAddress: ATTACKER })).statusCode).toBe(
        200,
      );
    }
  });

  it('shares counters between two API instances on one Redis', async () => {
    const rl = { redis, prefix: prefix(), perKey: { max: 4, windowMs: 60_000 } };
    const [a, b] = [await api(rl), await api(rl)];
    const get = (app: FastifyInstance) =>
      app.inject({ method: 'GET', url: '/api/stats', headers: bearer(KEYS.readA) });
    const statuses = [await get(a), await get(b), await get(a), await get(b), await get(a)].map(
      (r) => r.statusCode,
    );
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // And the counter in Redis is keyed by a hash, never the key itself.
    const keys = await redis.keys(`${rl.prefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(KEYS.readA);
  });

  it('turns off with rateLimit: false', async () => {
    const app = await api(false);
    for (let i = 0; i < 40; i++) {
      expect((await app.inject({ url: '/api/stats', remoteAddress: ATTACKER })).statusCode).toBe(
        401,
      );
    }
  });
});

describe('with Redis down or hanging', () => {
  let child: ChildProcess;
  let port: number;
  let client: Redis;

  beforeAll(async () => {
    port = await freePort();
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await once(child, 'spawn');
    client = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    await until(() => client.status === 'ready', 10_000);
  });
  afterAll(async () => {
    client.disconnect();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('answers every request within a bound, unlimited, and logs a warning (SIGSTOP, then stopped)', async () => {
    const lines: string[] = [];
    const app = await api(
      {
        redis: client,
        prefix: prefix(),
        perKey: { max: 2, windowMs: 60_000 },
        redisTimeoutMs: 100,
      },
      { write: (line) => lines.push(line) },
    );
    const get = () => app.inject({ method: 'GET', url: '/api/stats', headers: bearer(KEYS.readA) });
    expect((await get()).statusCode).toBe(200);

    child.kill('SIGSTOP');
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const res = await get();
      expect(res.statusCode).toBe(200);
      // Two limiter checks per request, each given up after 100 ms.
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(lines.join('')).toContain('rate limits not enforced');

    child.kill('SIGKILL');
    await once(child, 'exit');
    await until(() => client.status !== 'ready', 5_000);
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const res = await app.inject({ url: '/api/stats', remoteAddress: ATTACKER });
      expect(res.statusCode).toBe(401);
      expect(Date.now() - started).toBeLessThan(500);
    }
  });
});

describe('options', () => {
  it('refuses bad limits at registration', async () => {
    const app = Fastify({ logger: false });
    await expect(
      app.register(spaneHttp, {
        engine: h.engine,
        auth: { mode: 'disabled' },
        rateLimit: { perKey: { max: 0, windowMs: 1000 } },
      }),
    ).rejects.toThrow(/rateLimit.perKey/);
    await app.close();
  });

  it('refuses to run inside a host context that has its own @fastify/rate-limit, unless turned off', async () => {
    const host = Fastify({ logger: false });
    await host.register(rateLimitPlugin, { global: false });
    await expect(
      host.register(spaneHttp, { engine: h.engine, auth: { mode: 'disabled' } }),
    ).rejects.toThrow(/already registered around the API/);
    await host.close();
    const other = Fastify({ logger: false });
    await other.register(rateLimitPlugin, { global: false });
    await other.register(spaneHttp, {
      engine: h.engine,
      auth: { mode: 'disabled' },
      rateLimit: false,
    });
    expect((await other.inject({ url: '/api/stats' })).statusCode).toBe(200);
    await other.close();
  });

  it('documents a 429 with Retry-After on the API operations, not on the probes', async () => {
    const app = await api({});
    const doc = (await app.inject({ url: '/docs/json', remoteAddress: OTHER })).json();
    const listWorkflows = doc.paths['/api/workflows'].get.responses['429'];
    expect(listWorkflows.headers['Retry-After'].schema.type).toBe('integer');
    expect(listWorkflows.content['application/json'].schema).toBeDefined();
    expect(doc.paths['/health/live'].get.responses['429']).toBeUndefined();
    // A quota's 429 and the rate limits' share the status: both are described.
    const execute = doc.paths['/api/workflows/{id}/execute'].post.responses['429'];
    expect(execute.description).toContain('RATE_LIMITED');
    expect(execute.description).toContain('QUOTA_EXCEEDED');
    expect(doc.paths['/health/ready'].get.responses['429']).toBeUndefined();
  });
});
