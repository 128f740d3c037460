import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltInNodes } from '../src/index.js';
import { deletePrefix } from './support/processes.js';

/**
 * The `http` node's `failOnStatus` run by an engine against a server on loopback: `503`
 * retried then failed (DLQ), `404` failed at once, and without the option every status a
 * result.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let target: Server;
let base: string;
/** Requests the server heard, by path. */
const hits = new Map<string, number>();

beforeAll(async () => {
  target = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const status = Number(path.split('/')[2]);
    res.statusCode = status;
    if (status === 503) res.setHeader('retry-after', '7');
    res.setHeader('content-type', 'text/plain');
    // A long body: the error quotes only its start.
    res.end(`status ${status} ${'z'.repeat(1_000)}`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => target.close(r));
});

describe('http node with failOnStatus', () => {
  it('retries a 503 then fails to the DLQ; fails a 404 without retry; off, both are results', async () => {
    const prefix = `spane-test-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const store = new InMemoryExecutionStore();
    const registry = new NodeRegistry();
    registerBuiltInNodes(registry, { httpAllow: ['127.0.0.1'] });
    const engine = new WorkflowEngine(registry, store, redis, { prefix });
    const retry = { attempts: 3, backoff: { type: 'fixed' as const, delayMs: 10 } };
    const call = (id: string, path: string, failOnStatus?: boolean) =>
      engine.registerWorkflow({
        id,
        name: id,
        nodes: [
          {
            id: 'N',
            type: 'http',
            config: {
              url: `${base}${path}`,
              headers: { authorization: 'Bearer top-secret' },
              ...(failOnStatus === undefined ? {} : { failOnStatus }),
            },
          },
        ],
        defaults: { retry },
      });
    try {
      await call('busy', '/s/503', true);
      await call('missing', '/s/404', true);
      await call('busy-off', '/s/502');
      await call('missing-off', '/s/410', false);
      await engine.startWorkers(2);

      const busy = await engine.enqueueWorkflow('busy');
      expect((await engine.waitForExecution(busy, { timeoutMs: 10_000 })).status).toBe('failed');
      expect(hits.get('/s/503')).toBe(retry.attempts);
      expect((await engine.getExecution(busy))?.nodeResults.N?.attempts).toBe(retry.attempts);
      const missing = await engine.enqueueWorkflow('missing');
      expect((await engine.waitForExecution(missing, { timeoutMs: 10_000 })).status).toBe('failed');
      expect(hits.get('/s/404')).toBe(1);

      const items = await engine.getDLQItems(0, -1);
      const busyItem = items.find((i) => i.executionId === busy);
      const missingItem = items.find((i) => i.executionId === missing);
      expect(busyItem?.error).toMatch(
        /^http: GET answered 503 Service Unavailable \(Retry-After: 7\): status 503 z+…$/,
      );
      expect(busyItem!.error.length).toBeLessThan(300);
      expect(missingItem?.error).toMatch(/^http: GET answered 404 Not Found: status 404 z+…$/);
      const recorded = JSON.stringify({ items, logs: await engine.getLogs(busy) });
      expect(recorded).not.toContain('top-secret');
      expect(recorded).not.toContain(base);

      for (const [id, status] of [
        ['busy-off', 502],
        ['missing-off', 410],
      ] as const) {
        const execution = await engine.enqueueWorkflow(id);
        const state = await engine.waitForExecution(execution, { timeoutMs: 10_000 });
        expect(state.status).toBe('completed');
        expect(state.nodeResults.N?.data).toMatchObject({ status, body: expect.any(String) });
        expect(hits.get(`/s/${status}`)).toBe(1);
      }
    } finally {
      await engine.close();
      await deletePrefix(REDIS_URL, prefix);
      await redis.quit();
    }
  });
});
