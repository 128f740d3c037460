import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type RunningServer, type ServerConfig, startServer } from '../src/index.js';
import { deletePrefix } from './support/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'server-e2e-admin-key-0001';

const prefixes: string[] = [];
const quiet = { write: () => {} };

/** A config for a server on a free port and a fresh Redis prefix. */
function testConfig(env: Record<string, string> = {}): ServerConfig {
  const prefix = `spane-server-test-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return loadConfig({
    PORT: '0',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: `${KEY}:default:admin`,
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'warn',
    ...env,
  });
}

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
});

async function api(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown,
  key = KEY,
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** transform → switch → one of three noop branches. */
const orderFlow = {
  id: 'orders',
  name: 'Route an order',
  nodes: [
    {
      id: 'shape',
      type: 'transform',
      config: {
        pick: ['order.id', 'order.status', 'customer.name'],
        rename: { 'customer.name': 'name' },
        set: { 'meta.via': 'spane' },
      },
    },
    {
      id: 'route',
      type: 'switch',
      inputs: ['shape'],
      config: {
        path: 'input.order.status',
        cases: { paid: ['ship'], refunded: ['refund'] },
        default: ['review'],
      },
    },
    { id: 'ship', type: 'noop', inputs: ['route'] },
    { id: 'refund', type: 'noop', inputs: ['route'] },
    { id: 'review', type: 'noop', inputs: ['route'] },
  ],
};

/** Runs the order flow over HTTP and follows it with the SSE stream to its end. */
async function runOrder(server: RunningServer, status: unknown) {
  const started = await api(server, 'POST', '/api/workflows/orders/execute', {
    initialData: { order: { id: 7, status, secret: 'card' }, customer: { name: 'Ada' } },
  });
  expect(started.status, started.text).toBe(202);
  const { executionId } = started.json;
  const stream = await fetch(`${server.url}/api/executions/${executionId}/events`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  const events = await stream.text(); // the stream ends when the run ends
  expect(events).toMatch(/^event: state/);
  const state = await api(server, 'GET', `/api/executions/${executionId}`);
  return state.json;
}

describe('a server with the memory store', () => {
  it('runs transform + switch + noop over HTTP to completion', async () => {
    const server = await startServer(testConfig(), { logStream: quiet });
    try {
      const registered = await api(server, 'POST', '/api/workflows', orderFlow);
      expect(registered.status, registered.text).toBe(201);

      const paid = await runOrder(server, 'paid');
      expect(paid.status).toBe('completed');
      // rename moved customer.name out and left its (now empty) parent.
      expect(paid.nodeResults.shape.data).toEqual({
        order: { id: 7, status: 'paid' },
        customer: {},
        name: 'Ada',
        meta: { via: 'spane' },
      });
      expect(paid.nodeResults.route.nextNodes).toEqual(['ship']);
      expect(paid.nodeResults.ship).toMatchObject({
        status: 'completed',
        data: {
          order: { id: 7, status: 'paid' },
          customer: {},
          name: 'Ada',
          meta: { via: 'spane' },
        },
      });
      expect(paid.nodeResults.refund).toMatchObject({
        status: 'skipped',
        skipReason: 'not-selected',
      });
      expect(paid.nodeResults.review).toMatchObject({
        status: 'skipped',
        skipReason: 'not-selected',
      });

      const other = await runOrder(server, 'lost');
      expect(other.nodeResults.review.status).toBe('completed');
      expect(other.nodeResults.ship.status).toBe('skipped');

      const ready = await fetch(`${server.url}/health/ready`);
      expect(await ready.json()).toEqual({
        ok: true,
        redis: true,
        store: true,
        workers: true,
        liveWorkers: { live: 1, stuck: 0 },
      });
      const metrics = await api(server, 'GET', '/metrics');
      expect(metrics.text).toContain(
        'spane_executions_completed_total{tenant="default",workflow_id="orders"} 2',
      );
    } finally {
      await server.close();
    }
    // Closed for good: nothing listens any more, and closing again is harmless.
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
    await server.close();
  });

  it('creates one admin key when none is configured, and prints it once', async () => {
    const printed: string[] = [];
    const server = await startServer(testConfig({ SPANE_API_KEYS: '', SPANE_ROLE: 'api' }), {
      logStream: quiet,
      print: (text) => printed.push(text),
    });
    try {
      const key = server.generatedApiKey!;
      expect(key).toMatch(/^spane_[A-Za-z0-9_-]{32}$/);
      expect(printed).toHaveLength(1);
      expect(printed[0]).toContain(key);
      expect(printed[0]).toContain(`Sign in to the inspector at ${server.url}/ui/ with it.`);
      expect((await api(server, 'GET', '/api/workflows', undefined, key)).status).toBe(200);
      expect(
        (await api(server, 'GET', '/api/workflows', undefined, 'wrong-key-00000000000')).status,
      ).toBe(401);
      // An API-only process runs no workers.
      expect(await (await fetch(`${server.url}/health/ready`)).json()).toMatchObject({
        workers: null,
      });
    } finally {
      await server.close();
    }
  });

  it('serves only health in the worker role, and loads SPANE_NODES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spane-nodes-'));
    const module = join(dir, 'nodes.mjs');
    writeFileSync(
      module,
      "export default (registry) => { registry.register('greet', { execute: async (ctx) => ({ success: true, data: 'hi ' + ctx.inputData.name }) }); };\n",
    );
    const worker = await startServer(testConfig({ SPANE_ROLE: 'worker', SPANE_NODES: module }), {
      logStream: quiet,
    });
    try {
      expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${worker.url}/health/ready`)).status).toBe(200);
      expect((await api(worker, 'GET', '/api/workflows')).status).toBe(404);
      // The worker runs the module's node type for executions queued by anyone.
      await worker.engine.registerWorkflow({
        id: 'greeting',
        name: 'greeting',
        nodes: [{ id: 'g', type: 'greet' }],
      });
      const id = await worker.engine.enqueueWorkflow('greeting', { name: 'Ada' });
      const state = await worker.engine.waitForExecution(id, { timeoutMs: 10_000 });
      expect(state.nodeResults.g!.data).toBe('hi Ada');
    } finally {
      await worker.close();
    }
  });

  it('fails to start with a clear message when Redis cannot be reached', async () => {
    const config = { ...testConfig(), redisUrl: 'redis://:topsecret@127.0.0.1:1' };
    const error = await startServer(config, { logStream: quiet, redisTimeoutMs: 300 }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/,
    );
    expect((error as Error).message).not.toContain('topsecret');
  });
});

describe('a server with the PostgreSQL store', () => {
  it('migrates its schema and keeps executions there', async () => {
    const schema = `spane_server_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const server = await startServer(
      // A master key given: no key file is made in the working directory.
      testConfig({
        DATABASE_URL,
        DATABASE_SCHEMA: schema,
        SPANE_ROLE: 'all',
        SPANE_MASTER_KEY: 'ab'.repeat(32),
      }),
      { logStream: quiet },
    );
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      expect((await api(server, 'POST', '/api/workflows', orderFlow)).status).toBe(201);
      const done = await runOrder(server, 'refunded');
      expect(done.nodeResults.refund.status).toBe('completed');
      const rows = await client.query(
        `SELECT status FROM "${schema}".executions WHERE execution_id = $1`,
        [done.executionId],
      );
      expect(rows.rows).toEqual([{ status: 'completed' }]);
    } finally {
      await server.close();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
