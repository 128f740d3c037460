import { createServer } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ListenError, startServer } from '../src/index.js';
import { RequestLogController } from '../src/request-log.js';
import { serverConfigs } from './support/test-config.js';

const KEY = 'http-surface-admin-key-01';
const testConfig = serverConfigs('surface', KEY, { WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info' });

/** A log stream that keeps every JSON line. */
function capture() {
  const lines: Record<string, any>[] = [];
  return { lines, stream: { write: (line: string) => lines.push(JSON.parse(line)) } };
}

describe('GET /', () => {
  it('points at the inspector, the docs and the probes on an API process, without a key', async () => {
    const server = await startServer(testConfig({ SPANE_ROLE: 'api' }), {
      logStream: capture().stream,
    });
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({
        service: 'spane',
        role: 'api',
        ui: '/ui/',
        docs: '/docs',
        openapi: '/docs/json',
        ready: '/health/ready',
        live: '/health/live',
      });
      // Where it points exists.
      expect((await fetch(`${server.url}/ui/`)).status).toBe(200);
      expect((await fetch(`${server.url}/docs/json`)).status).toBe(200);
      expect((await fetch(`${server.url}/docs`, { redirect: 'manual' })).status).toBeLessThan(400);
    } finally {
      await server.close();
    }
  });

  it('points at the probes only on a worker process', async () => {
    const server = await startServer(testConfig({ SPANE_ROLE: 'worker' }), {
      logStream: capture().stream,
    });
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        service: 'spane',
        role: 'worker',
        ready: '/health/ready',
        live: '/health/live',
      });
      expect((await fetch(`${server.url}/docs/json`)).status).toBe(404);
      expect((await fetch(`${server.url}/ui/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('request logging', () => {
  it('writes one info line per request: method, path without query, status, time, request id', async () => {
    const log = capture();
    const server = await startServer(testConfig(), { logStream: log.stream });
    try {
      const auth = { authorization: `Bearer ${KEY}` };
      await fetch(`${server.url}/api/workflows?token=secret-in-query`, { headers: auth });
      await fetch(`${server.url}/api/workflows/nope`, { headers: auth });
      await fetch(`${server.url}/api/workflows`, { headers: { authorization: 'Bearer wrong' } });
      await fetch(`${server.url}/no/such/route?x=1`);
      await fetch(`${server.url}/health/ready`);
      // The line is written when the response is done: wait for the last one.
      const deadline = Date.now() + 5_000;
      while (log.lines.filter((l) => l.method !== undefined).length < 4) {
        if (Date.now() > deadline) throw new Error('request lines missing');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await server.close();
    }
    const requestLines = log.lines.filter((l) => l.method !== undefined);
    expect(requestLines.map((l) => [l.level, l.method, l.url, l.statusCode, l.msg])).toEqual([
      [30, 'GET', '/api/workflows', 200, 'GET /api/workflows 200'],
      [30, 'GET', '/api/workflows/nope', 404, 'GET /api/workflows/nope 404'],
      [30, 'GET', '/api/workflows', 401, 'GET /api/workflows 401'],
      [30, 'GET', '/no/such/route', 404, 'GET /no/such/route 404'],
      // A successful /health/ready probe is at debug: not written at LOG_LEVEL=info.
    ]);
    for (const line of requestLines) {
      expect(line.reqId).toMatch(/^req-/);
      expect(typeof line.responseTime).toBe('number');
    }
    expect(new Set(requestLines.map((l) => l.reqId)).size).toBe(4);
    const all = JSON.stringify(log.lines);
    expect(all).not.toContain('secret-in-query');
    expect(all).not.toContain('incoming request');
    expect(all).not.toContain('request completed');
    expect(all).not.toContain('not found');
  });

  it('writes probes at debug, and still logs an error with its stack besides the request line', async () => {
    const lines: Record<string, any>[] = [];
    const app = Fastify({
      logger: { level: 'debug', stream: { write: (l: string) => lines.push(JSON.parse(l)) } },
      logController: new RequestLogController(),
    });
    app.get('/boom', async () => {
      throw new Error('kaput');
    });
    app.get('/health/live', async () => ({ status: 'ok' }));
    try {
      expect((await app.inject({ url: '/boom?q=1' })).statusCode).toBe(500);
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const error = lines.find((l) => l.msg === 'kaput');
    expect(error).toMatchObject({ level: 50, err: { message: 'kaput' } });
    expect(error!.err.stack).toContain('Error: kaput');
    expect(lines.filter((l) => l.method !== undefined).map((l) => [l.level, l.msg])).toEqual([
      [30, 'GET /boom 500'],
      [20, 'GET /health/live 200'],
    ]);
  });
});

describe('a busy port', () => {
  it('fails the start with a ListenError, before any worker starts', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const log = capture();
    try {
      const error = await startServer(testConfig({ PORT: String(port) }), {
        logStream: log.stream,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ListenError);
      expect(error).toMatchObject({
        code: 'EADDRINUSE',
        port,
        host: '127.0.0.1',
        message: `port ${port} is in use on 127.0.0.1`,
      });
      expect(log.lines.map((l) => l.msg)).not.toContain('spane server started');
    } finally {
      holder.close();
    }
  });
});
