import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type RunningServer, startServer } from '../src/index.js';
import { deletePrefix } from './support/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'rate-limit-admin-key-0001';
const prefix = `spane-rl-server-test-${randomUUID().slice(0, 8)}`;
const quiet = { write: () => {} };

afterAll(async () => {
  await deletePrefix(REDIS_URL, prefix);
});

function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: `${KEY}:default:admin`,
    SPANE_ROLE: 'api',
    SPANE_RATE_LIMIT_FAILED_AUTH: '3/60s',
    SPANE_TRUST_PROXY: '127.0.0.1',
    ...env,
  });
  return startServer(config, { logStream: quiet });
}

describe('rate limits of the server', () => {
  it('counts failed authentications in Redis, shared by two API processes, per client IP behind a trusted proxy', async () => {
    const [a, b] = [await start(), await start()];
    try {
      const get = (server: RunningServer, ip: string, key: string) =>
        fetch(`${server.url}/api/workflows`, {
          headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': ip },
        });
      const statuses = [];
      for (const server of [a, b, a, b]) {
        statuses.push((await get(server, '192.0.2.1', 'wrong-key-000000000000')).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      const limited = await get(a, '192.0.2.1', KEY);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      // Another client of the same proxy is served.
      const other = await get(b, '192.0.2.2', KEY);
      expect(other.status).toBe(200);
      expect(other.headers.get('x-ratelimit-limit')).toBe('1200');
      const redis = new Redis(REDIS_URL);
      try {
        expect((await redis.keys(`${prefix}:ratelimit:*`)).length).toBeGreaterThanOrEqual(2);
      } finally {
        await redis.quit();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is off with SPANE_RATE_LIMIT=off', async () => {
    const server = await start({ SPANE_RATE_LIMIT: 'off' });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/api/workflows`);
        expect(res.status).toBe(401);
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      }
    } finally {
      await server.close();
    }
  });
});
