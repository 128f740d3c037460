import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  exchange,
  open,
  parseResponse,
  requestOn,
} from '../../../packages/http/test/support/raw-http.js';
import { type RunningServer, startServer } from '../src/index.js';
import { redactQuery, requestSerializer } from '../src/request-log.js';
import { serverConfigs } from './support/test-config.js';

/**
 * The server's HTTP limits from the environment (timeouts, connection cap), errors no route
 * sees in the API's shape, and logs that never carry a credential from a query string.
 * Real sockets on 127.0.0.1.
 */

const KEY = 'http-limits-admin-key-001';
const testConfig = serverConfigs('limits', KEY, { SPANE_ROLE: 'api', LOG_LEVEL: 'warn' });

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => lines.push(line) } };
}

function apiError(text: string) {
  const res = parseResponse(text);
  expect(res.headers['content-type']).toContain('application/json');
  return { status: res.status, error: JSON.parse(res.body).error as { code: string } };
}

const LIVE = 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

async function connectionsReach(server: RunningServer, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const n = await new Promise<number>((resolve, reject) =>
      server.app.server.getConnections((err, c) => (err ? reject(err) : resolve(c))),
    );
    if (n === count) return;
    if (Date.now() > deadline) throw new Error(`${n} connections, expected ${count}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('timeouts and the connection cap from the environment', () => {
  it('closes a half-sent body with 408 within SPANE_REQUEST_TIMEOUT_MS', async () => {
    const server = await startServer(
      testConfig({ SPANE_REQUEST_TIMEOUT_MS: '500', SPANE_HEADERS_TIMEOUT_MS: '300' }),
      { logStream: capture().stream },
    );
    try {
      const r = await exchange(
        server.port,
        `POST /api/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":"half`,
        10_000,
      );
      expect(r.closed).toBe(true);
      expect(r.elapsedMs).toBeLessThan(2_500);
      expect(apiError(r.text)).toEqual({
        status: 408,
        error: expect.objectContaining({ code: 'REQUEST_TIMEOUT' }),
      });
      // And the server still answers.
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers connections over SPANE_MAX_CONNECTIONS 503 UNAVAILABLE; /health/live answers on an open one and after release', async () => {
    const server = await startServer(testConfig({ SPANE_MAX_CONNECTIONS: '2' }), {
      logStream: capture().stream,
    });
    const a = await open(server.port);
    const b = await open(server.port);
    try {
      // The cap is the server's own (a 503), not Node's silent one.
      expect(server.app.server.maxConnections).toBeUndefined();
      await connectionsReach(server, 2);
      const refused = await exchange(server.port, LIVE, 5_000);
      expect(refused.closed).toBe(true);
      expect(apiError(refused.text)).toEqual({
        status: 503,
        error: expect.objectContaining({ code: 'UNAVAILABLE' }),
      });
      expect(parseResponse(refused.text).headers['retry-after']).toBe('1');
      expect((await requestOn(a, LIVE)).status).toBe(200);
      b.destroy();
      await connectionsReach(server, 1);
      const c = await open(server.port);
      expect((await requestOn(c, LIVE)).status).toBe(200);
      c.destroy();
    } finally {
      a.destroy();
      b.destroy();
      await server.close();
    }
  });
});

describe("errors before any route, in the API's shape", () => {
  it.each([
    ['no Host on GET /', 'GET / HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'no Host on an API route',
      `GET /api/workflows HTTP/1.1\r\nAuthorization: Bearer ${KEY}\r\n\r\n`,
      400,
      'BAD_REQUEST',
    ],
    ['a malformed request', 'HELLO\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'headers too large',
      `GET / HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ])('%s', async (_name, data, status, code) => {
    const server = await startServer(testConfig(), { logStream: capture().stream });
    try {
      const r = await exchange(server.port, data, 5_000);
      expect(r.closed).toBe(true);
      expect(apiError(r.text)).toEqual({ status, error: expect.objectContaining({ code }) });
    } finally {
      await server.close();
    }
  });

  it('also on a worker process (its probes are outside the API plugin)', async () => {
    const server = await startServer(testConfig({ SPANE_ROLE: 'worker' }), {
      logStream: capture().stream,
    });
    try {
      const r = await exchange(server.port, 'GET /health/live HTTP/1.1\r\n\r\n', 5_000);
      expect(apiError(r.text)).toEqual({
        status: 400,
        error: expect.objectContaining({ code: 'BAD_REQUEST' }),
      });
    } finally {
      await server.close();
    }
  });
});

describe('credentials in query strings never reach the log', () => {
  it('at every level, for every kind of answer', async () => {
    const log = capture();
    const server = await startServer(testConfig({ LOG_LEVEL: 'trace' }), { logStream: log.stream });
    const secret = (n: number) => `query-secret-${n}-0123456789`;
    const q = `?api_key=${secret(1)}&access_token=${secret(2)}&apiKey=${secret(3)}&token=${secret(4)}&x-signature=${secret(5)}`;
    try {
      for (const path of [
        '/api/workflows',
        '/api/nothing-here',
        '/',
        '/health/live',
        '/api/workflows/%E0%A4%A',
        `/api/executions/${'a'.repeat(300)}`,
        '/api/webhooks/nowhere',
      ]) {
        await fetch(`${server.url}${path}${q}`);
        await fetch(`${server.url}${path}${q}`, { headers: { authorization: `Bearer ${KEY}` } });
      }
      await fetch(`${server.url}/api/workflows${q}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{',
      });
      await exchange(server.port, `GET /api/workflows${q} HTTP/1.1\r\n\r\n`, 5_000);
      await exchange(
        server.port,
        `GET /api/workflows${q} HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
        5_000,
      );
    } finally {
      await server.close();
    }
    const all = log.lines.join('');
    expect(log.lines.length).toBeGreaterThan(10);
    for (let n = 1; n <= 5; n++) expect(all).not.toContain(secret(n));
  });

  it("redacts them in fastify's own request lines (its default log controller)", async () => {
    const lines: Record<string, any>[] = [];
    const app = Fastify({
      logger: {
        level: 'info',
        serializers: { req: requestSerializer },
        stream: { write: (l: string) => lines.push(JSON.parse(l)) },
      },
    });
    app.get('/x', async () => ({ ok: true }));
    try {
      await app.inject({ url: '/x?api_key=s3cr3t-value&limit=5' });
    } finally {
      await app.close();
    }
    const incoming = lines.find((l) => l.msg === 'incoming request');
    expect(incoming?.req).toEqual({
      method: 'GET',
      url: '/x?api_key=[redacted]&limit=5',
      remoteAddress: expect.any(String),
    });
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-value');
  });

  it('redactQuery replaces the values of key-like parameters only', () => {
    expect(redactQuery('/a/b')).toBe('/a/b');
    expect(redactQuery('/a?api_key=s1&limit=5&access%5Ftoken=s2&Password=s3&x')).toBe(
      '/a?api_key=[redacted]&limit=5&access%5Ftoken=[redacted]&Password=[redacted]&x',
    );
    expect(redactQuery('/a?%E0%A4%A=s&key=s')).toBe('/a?%E0%A4%A=s&key=[redacted]');
  });
});
