import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, describeError, withQuery } from '../src/app/api/client.js';

describe('withQuery', () => {
  it('is the path alone without a query, or when every value is left out', () => {
    expect(withQuery('/api/x')).toBe('/api/x');
    expect(withQuery('/api/x', {})).toBe('/api/x');
    expect(withQuery('/api/x', { a: undefined, b: '' })).toBe('/api/x');
  });

  it('repeats the name of each value of an array, in order', () => {
    expect(withQuery('/api/executions', { status: ['failed', 'running'], limit: 20 })).toBe(
      '/api/executions?status=failed&status=running&limit=20',
    );
    expect(withQuery('/p', { status: [] })).toBe('/p');
  });

  it('leaves out undefined and empty values but keeps 0', () => {
    expect(withQuery('/p', { a: undefined, b: '', c: 0, d: 'x' })).toBe('/p?c=0&d=x');
  });

  it('encodes names and values', () => {
    const url = withQuery('/p', { 'odd name': 'a&b=c d/é?#', cursor: 'ab+/=' });
    expect(url).toBe('/p?odd+name=a%26b%3Dc+d%2F%C3%A9%3F%23&cursor=ab%2B%2F%3D');
    const back = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    expect(back.get('odd name')).toBe('a&b=c d/é?#');
    expect(back.get('cursor')).toBe('ab+/=');
  });
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('ApiClient against a real HTTP server', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const path = (req.url ?? '').split('?')[0];
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        switch (path) {
          case '/api/ok':
            return json(200, { hello: 'world', n: [1, 2] });
          case '/api/echo':
            return json(201, { received: JSON.parse(body) });
          case '/api/conflict':
            return json(409, {
              error: { code: 'CONFLICT', message: 'already running', details: { id: 'e1' } },
            });
          case '/api/html-error':
            res.writeHead(502, { 'content-type': 'text/html' });
            return res.end('<h1>Bad gateway</h1>');
          case '/api/unauthorized':
            return json(401, { error: { code: 'UNAUTHORIZED', message: 'bad key' } });
          case '/api/forbidden':
            return json(403, { error: { code: 'FORBIDDEN', message: 'needs admin' } });
          case '/api/no-content':
            res.writeHead(204);
            return res.end();
          case '/api/empty':
            res.writeHead(200);
            return res.end();
          default:
            return json(404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  /** A client for the test server, counting its onUnauthorized calls. */
  function client() {
    const calls = { unauthorized: 0 };
    const api = new ApiClient('sk_test_123', {
      base,
      onUnauthorized: () => {
        calls.unauthorized++;
      },
    });
    return { api, calls };
  }

  /** The ApiError a call rejects with. */
  async function failure(call: Promise<unknown>): Promise<ApiError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }

  it('GETs with the key as a bearer token and the query, and reads the JSON answer', async () => {
    const { api } = client();
    const answer = await api.get('/api/ok', { status: ['a', 'b'], skip: undefined });
    expect(answer).toEqual({ hello: 'world', n: [1, 2] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/ok?status=a&status=b', body: '' });
    expect(seen[0]!.headers.authorization).toBe('Bearer sk_test_123');
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('POSTs a JSON body with its content type', async () => {
    const { api } = client();
    const body = { input: { n: 1, text: 'é' } };
    expect(await api.post('/api/echo', body)).toEqual({ received: body });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers.authorization).toBe('Bearer sk_test_123');
    expect(JSON.parse(seen[0]!.body)).toEqual(body);
  });

  it('POSTs without a body when given none', async () => {
    const { api } = client();
    await api.post('/api/no-content');
    expect(seen[0]!.body).toBe('');
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it("turns an API error body into an ApiError with the API's code, message and details", async () => {
    const { api, calls } = client();
    const error = await failure(api.post('/api/conflict', {}));
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 409,
      code: 'CONFLICT',
      message: 'already running',
      details: { id: 'e1' },
    });
    expect(describeError(error)).toBe('CONFLICT: already running');
    expect(calls.unauthorized).toBe(0);
  });

  it('turns an answer that is not JSON into HTTP_<status>', async () => {
    const { api } = client();
    const error = await failure(api.get('/api/html-error'));
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', message: 'Bad Gateway' });
    expect(error.details).toBeUndefined();
  });

  it('tells onUnauthorized of a 401, and only of a 401', async () => {
    const { api, calls } = client();
    const error = await failure(api.get('/api/unauthorized'));
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'bad key' });
    expect(calls.unauthorized).toBe(1);
    await failure(api.get('/api/forbidden'));
    await failure(api.get('/api/missing'));
    expect(calls.unauthorized).toBe(1);
  });

  it('resolves a 204, or an empty 200, to undefined', async () => {
    const { api } = client();
    expect(await api.post('/api/no-content', { x: 1 })).toBeUndefined();
    expect(await api.get('/api/empty')).toBeUndefined();
  });

  it('rejects without a request when its signal is already aborted', async () => {
    const { api } = client();
    const controller = new AbortController();
    controller.abort();
    await expect(api.get('/api/ok', undefined, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(seen).toHaveLength(0);
  });

  it('builds absolute URLs and headers from its base and key', () => {
    const { api } = client();
    expect(api.url('/api/x', { a: '1' })).toBe(`${base}/api/x?a=1`);
    expect(new ApiClient('k').url('/api/x')).toBe('/api/x');
    expect(api.headers({ accept: 'text/event-stream' })).toEqual({
      authorization: 'Bearer sk_test_123',
      accept: 'text/event-stream',
    });
  });
});

describe('describeError', () => {
  it('describes API errors, errors and anything else', () => {
    expect(describeError(new ApiError(400, 'BAD', 'no'))).toBe('BAD: no');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('text');
    expect(describeError(42)).toBe('42');
  });
});
