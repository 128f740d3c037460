import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowEngine } from '@spane/bullmq';
import { type BreakerChange, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, registerBuiltInNodes } from '../src/index.js';

/**
 * The `http` node with a circuit breaker (SPANE_HTTP_BREAKER) against a flapping server on
 * loopback, run by two engines on one prefix (two "processes", one memory store): a server
 * that cuts connections, and one that answers `503` to nodes with `failOnStatus`.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BREAKER = { failureRate: 0.5, minimumRuns: 3, windowMs: 30_000, openMs: 2_000 };

let target: Server;
let base: string;
/**
 * While down, the server cuts every connection it is sent a request on (`cut`) or answers
 * `503` (`503`).
 */
let down = true;
let failure: 'cut' | '503' = 'cut';
const hits: { at: number; down: boolean }[] = [];

beforeAll(async () => {
  target = createServer((req, res) => {
    hits.push({ at: Date.now(), down });
    if (down && failure === 'cut') {
      req.socket.destroy();
      return;
    }
    if (down) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
      res.end('overloaded');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => target.close(r));
});

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('http node with a circuit breaker', () => {
  it('SPANE_HTTP_BREAKER is checked by the registry’s rules', () => {
    const env = { SPANE_AUTH: 'disabled' };
    expect(loadConfig({ ...env, SPANE_HTTP_BREAKER: '0.5,20,60000,30000' }).httpBreaker).toEqual({
      failureRate: 0.5,
      minimumRuns: 20,
      windowMs: 60_000,
      openMs: 30_000,
    });
    expect(() => loadConfig({ ...env, SPANE_HTTP_BREAKER: '0.5,20' })).toThrow(
      /SPANE_HTTP_BREAKER must be failureRate,minimumRuns,windowMs,openMs/,
    );
    expect(() => loadConfig({ ...env, SPANE_HTTP_BREAKER: '2,20,60000,30000' })).toThrow(
      /SPANE_HTTP_BREAKER: breaker.failureRate of 'http' must be a number above 0 and at most 1/,
    );
  });

  it.each([
    { failure: 'cut' as const, failOnStatus: undefined },
    { failure: '503' as const, failOnStatus: true },
  ])(
    'opens while the server fails ($failure), holds the calls (delayed, not failed), probes once and closes',
    async (mode) => {
      failure = mode.failure;
      down = true;
      hits.length = 0;
      const prefix = `spane-test-${randomUUID().slice(0, 8)}`;
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const store = new InMemoryExecutionStore();
      const engines = [new NodeRegistry(), new NodeRegistry()].map((registry) => {
        registerBuiltInNodes(registry, { httpAllow: ['127.0.0.1'], httpBreaker: BREAKER });
        return new WorkflowEngine(registry, store, redis, { prefix });
      });
      const [one, two] = engines as [WorkflowEngine, WorkflowEngine];
      try {
        const changes: BreakerChange[] = [];
        one.on('breaker:changed', (c) => changes.push(c));
        await one.registerWorkflow({
          id: 'call',
          name: 'call',
          nodes: [
            {
              id: 'N',
              type: 'http',
              config: {
                url: `${base}/x`,
                timeoutMs: 2_000,
                ...(mode.failOnStatus === undefined ? {} : { failOnStatus: mode.failOnStatus }),
              },
            },
          ],
          defaults: { retry: { attempts: 30, backoff: { type: 'fixed', delayMs: 20 } } },
        });
        await one.startWorkers(2);
        await two.startWorkers(2);
        const ids = await one.enqueueWorkflows(
          Array.from({ length: 4 }, () => ({ workflowId: 'call' })),
        );
        await until(() => changes.some((c) => c.state === 'open'), 10_000, 'the breaker to open');
        expect(changes[0]).toMatchObject({ nodeType: 'http', state: 'open' });
        // Calls in flight when it opened end; after that the server hears nothing until the probe.
        await until(
          async () => (await redis.zcard(`${prefix}:nodes:delayed`)) === ids.length,
          5_000,
          'every call delayed',
        );
        const quiet = hits.length;
        for (const id of ids) {
          expect((await one.getExecution(id))?.status).toMatch(/^(pending|running)$/);
        }
        expect((await two.getBreakerStates()).http?.state).toBe('open');
        down = false;
        await until(
          () => changes.some((c) => c.state === 'closed'),
          10_000,
          'the breaker to close',
        );
        // Nothing reached the server while it was open; then exactly one probe.
        const probe = hits[quiet];
        expect(probe).toBeDefined();
        expect(probe!.at).toBeGreaterThanOrEqual(Date.parse(changes[0]!.opensUntil!));
        expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'closed']);
        for (const id of ids) {
          expect((await one.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
        }
        // The probe, then the other three calls: no call was made twice after the server came back.
        expect(hits.slice(quiet)).toHaveLength(ids.length);
        expect((await one.getBreakerStates()).http).toEqual({ state: 'closed' });
      } finally {
        await Promise.all(engines.map((e) => e.close()));
        await deleteKeys(redis, prefix);
        await redis.quit();
      }
    },
  );
});
