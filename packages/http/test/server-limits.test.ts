import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { InvalidArgumentError } from '@spane/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONNECTION_CAP_RETRY_AFTER_S,
  type ConnectionCap,
  DEFAULT_SERVER_LIMITS,
  resolveServerLimits,
  spaneConnectionCap,
  spaneServerOptions,
} from '../src/index.js';
import { createHttpHarness, type HttpHarness } from './support/http-harness.js';
import { exchange, open, parseResponse, requestOn } from './support/raw-http.js';

/**
 * The server limits of `spaneServerOptions` on a real listening server (127.0.0.1, a free
 * port), driven over raw sockets: request and header timeouts, the connection cap, and
 * the errors Node's HTTP parser raises before any route sees the request.
 */

const REQUEST_TIMEOUT_MS = 600;
const HEADERS_TIMEOUT_MS = 400;

let h: HttpHarness;
let port = 0;

beforeAll(async () => {
  h = await createHttpHarness({
    workers: false,
    fastify: spaneServerOptions({
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
    }),
    setup: (app) => {
      app.get('/host/slow', async () => {
        await new Promise((r) => setTimeout(r, 3 * REQUEST_TIMEOUT_MS));
        return { slow: true };
      });
    },
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await h?.close();
});

/** The response is in the API's error shape with this status and code. */
function expectApiError(text: string, status: number, code: string) {
  const res = parseResponse(text);
  expect(res.status, text).toBe(status);
  expect(res.headers['content-type']).toContain('application/json');
  const body = JSON.parse(res.body);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({ code, message: expect.any(String) });
  return body.error as { code: string; message: string };
}

const LIVE = 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('timeouts', () => {
  it('answers 408 and closes a request whose body does not arrive in time', async () => {
    const r = await exchange(
      port,
      'POST /api/webhooks/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":',
      10_000,
    );
    expect(r.closed).toBe(true);
    // The timeout, plus at most Node's checking interval and some slack.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(r.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
    expectApiError(r.text, 408, 'REQUEST_TIMEOUT');
  });

  it('answers 408 and closes a request whose headers do not arrive in time', async () => {
    const r = await exchange(
      port,
      'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1',
      10_000,
    );
    expect(r.closed).toBe(true);
    expect(r.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2_000);
    expectApiError(r.text, 408, 'REQUEST_TIMEOUT');
  });

  it('does not cut a handler slower than the request timeout (only receiving counts)', async () => {
    const r = await exchange(
      port,
      'GET /host/slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const res = parseResponse(r.text);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ slow: true });
  });

  it('leaves an idle keep-alive connection between requests alone (only requests are timed)', async () => {
    const socket = await open(port);
    try {
      expect((await requestOn(socket, LIVE)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2 * REQUEST_TIMEOUT_MS));
      expect((await requestOn(socket, LIVE)).status).toBe(200);
    } finally {
      socket.destroy();
    }
  });

  it('keeps serving after timed-out requests', async () => {
    const r = await exchange(port, 'GET /health/live HTTP/1.0\r\n\r\n');
    expect(parseResponse(r.text).status).toBe(200);
  });
});

describe("errors of Node's HTTP parser and a missing Host, in the API's shape", () => {
  it.each([
    ['a request line that is not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'a Content-Length that is not a number',
      'POST /api/webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n',
      400,
      'BAD_REQUEST',
    ],
    [
      'headers over 16 KiB',
      `GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
    ['HTTP/1.1 without Host', 'GET /health/live HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'HTTP/1.1 without Host on an API route',
      'GET /api/workflows HTTP/1.1\r\nAuthorization: Bearer tenant-a-admin-key-000001\r\n\r\n',
      400,
      'BAD_REQUEST',
    ],
  ])('%s, then the connection is closed', async (name, data, status, code) => {
    const r = await exchange(port, data, 5_000);
    expect(r.closed).toBe(true);
    const error = expectApiError(r.text, status, code);
    if (name.includes('Host')) expect(error.message).toMatch(/Host/);
  });

  it('serves HTTP/1.0 without Host (it needs none)', async () => {
    const r = await exchange(port, 'GET /health/live HTTP/1.0\r\n\r\n', 5_000);
    expect(parseResponse(r.text)).toMatchObject({ status: 200 });
  });
});

describe('the connection cap (spaneConnectionCap)', () => {
  let app: FastifyInstance;
  let cap: ConnectionCap;
  let capPort = 0;

  beforeAll(async () => {
    app = Fastify(spaneServerOptions());
    cap = spaneConnectionCap(app.server, 2);
    app.get('/health/live', async () => ({ status: 'ok' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    capPort = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Polls until `read()` gives `value` (the server counts as sockets open and close). */
  async function reaches(read: () => number, value: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (read() !== value) {
      if (Date.now() > deadline) throw new Error(`${read()}, expected ${value}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('answers 503 UNAVAILABLE with Retry-After beyond it; existing ones keep working, and a freed place is taken', async () => {
    const a = await open(capPort);
    const b = await open(capPort);
    try {
      expect((await requestOn(a, LIVE)).status).toBe(200);
      await reaches(() => cap.open, 2);

      const refused = await exchange(capPort, LIVE, 5_000);
      expect(refused.closed).toBe(true);
      const error = expectApiError(refused.text, 503, 'UNAVAILABLE');
      expect(error.message).toMatch(/too many open connections/);
      const res = parseResponse(refused.text);
      expect(res.headers['retry-after']).toBe(String(CONNECTION_CAP_RETRY_AFTER_S));
      expect(res.headers.connection).toBe('close');
      expect(cap.refused).toBe(1);

      // The probe still answers on a connection that is already open.
      const again = await requestOn(a, LIVE);
      expect(JSON.parse(again.body)).toEqual({ status: 'ok' });

      b.destroy();
      await reaches(() => cap.open, 1);
      const c = await open(capPort);
      try {
        expect((await requestOn(c, LIVE)).status).toBe(200);
      } finally {
        c.destroy();
      }
    } finally {
      a.destroy();
      b.destroy();
    }
    await reaches(() => cap.open, 0);
    await reaches(() => cap.refusing, 0);
  });

  /** What the server sent on `socket` until it ended or closed it (or 5 s passed). */
  function untilEnded(socket: Socket): Promise<{ text: string; ended: boolean }> {
    return new Promise((resolve) => {
      let text = '';
      const finish = (ended: boolean) => {
        clearTimeout(timer);
        resolve({ text, ended });
      };
      const timer = setTimeout(() => finish(false), 5_000);
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      socket.on('error', () => {});
      socket.once('end', () => finish(true));
      socket.once('close', () => finish(true));
    });
  }

  it('holds at most CONNECTION_CAP_MAX_REFUSING refused connections; the rest are closed at once; all are let go', async () => {
    const held = [await open(capPort), await open(capPort)];
    await reaches(() => cap.open, 2);
    const before = cap.refused;
    const flood = 150;
    // Clients that never close their side: the server must let go of them itself.
    const sockets = await Promise.all(
      Array.from(
        { length: flood },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port: capPort, allowHalfOpen: true }, () =>
              resolve(s),
            );
            s.once('error', reject);
          }),
      ),
    );
    try {
      const answers = await Promise.all(sockets.map((s) => untilEnded(s)));
      expect(answers.every((x) => x.ended)).toBe(true);
      const answered = answers.filter((x) => x.text.startsWith('HTTP/1.1 503')).length;
      expect(answered).toBeGreaterThanOrEqual(1);
      expect(answered + answers.filter((x) => x.text === '').length).toBe(flood);
      expect(answered).toBeLessThan(flood);
      expect(cap.refused - before).toBe(flood);
      await reaches(() => cap.refusing, 0);
      expect((await requestOn(held[0]!, LIVE)).status).toBe(200);
    } finally {
      for (const s of [...sockets, ...held]) s.destroy();
    }
    await reaches(() => cap.open, 0);
  });

  it('refuses a cap that is not a positive integer', () => {
    const server = createServer();
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => spaneConnectionCap(server, bad)).toThrow(InvalidArgumentError);
    }
  });
});

describe('spaneServerOptions', () => {
  it('has documented defaults, and checks what it is given', () => {
    expect(DEFAULT_SERVER_LIMITS).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      connectionTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 10_000,
    });
    const options = spaneServerOptions();
    expect(options).toMatchObject({
      requestTimeout: 30_000,
      connectionTimeout: 60_000,
      keepAliveTimeout: 72_000,
      http: { headersTimeout: 10_000, requestTimeout: 30_000, requireHostHeader: false },
    });
    // Node checks the timeouts every 30 s by default: far later than they are due.
    expect(options.http.connectionsCheckingInterval).toBeLessThanOrEqual(1_000);
    expect(resolveServerLimits({ requestTimeoutMs: 5_000 }).headersTimeoutMs).toBe(5_000);
    expect(() => spaneServerOptions({ requestTimeoutMs: 0 })).toThrow(/positive integer/);
    expect(() => spaneServerOptions({ maxConnections: 1.5 })).toThrow(/positive integer/);
    expect(() => spaneServerOptions({ requestTimeoutMs: 1_000, headersTimeoutMs: 2_000 })).toThrow(
      /headersTimeoutMs must be at most requestTimeoutMs/,
    );
  });
});
