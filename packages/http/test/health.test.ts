import { createServer } from 'node:net';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { spaneHttp } from '../src/index.js';
import { silentLogger } from './support/http-harness.js';

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

it('answers ready 503 NOT_READY with the parts when Redis is unreachable; live stays 200', async () => {
  const port = await closedPort();
  const store = new InMemoryExecutionStore();
  const engine = new WorkflowEngine(
    new NodeRegistry(),
    store,
    { host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 200 },
    { prefix: 'spane-http-unreachable', logger: silentLogger },
  );
  const app = Fastify();
  // No metrics: they subscribe to engine events, and the engine's subscription to an
  // unreachable Redis currently rejects unhandled (reported to the engine's owner).
  await app.register(spaneHttp, { engine, auth: { mode: 'disabled' }, metrics: false });
  await app.ready();
  try {
    const live = await app.inject({ url: '/health/live' });
    expect(live.statusCode).toBe(200);

    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toEqual({
      error: {
        code: 'NOT_READY',
        message: 'Not ready: redis down',
        details: { ok: false, redis: false, store: true, workers: null, liveWorkers: null },
      },
    });
  } finally {
    await app.close();
    await Promise.race([engine.close(), new Promise((r) => setTimeout(r, 3_000))]);
    await store.close();
  }
});
