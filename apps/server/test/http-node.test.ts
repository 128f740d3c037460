import type { AddressInfo } from 'node:net';
import { compileJsonSchema } from '@spane/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressPolicy, createHttpNode, HTTP_NODE_OUTPUT_SCHEMA } from '../src/index.js';
import { nodeContext } from './support/node-context.js';

/**
 * The `http` node against local servers on loopback addresses (127.0.0.2 and 127.0.0.3,
 * so one can be allow-listed and the other not). Refused targets are refused before any
 * connection is made.
 */

interface Hit {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
}

async function startTarget(
  host: string,
): Promise<{ app: FastifyInstance; base: string; hits: Hit[] }> {
  const app = Fastify();
  const hits: Hit[] = [];
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_r, body, done) =>
    done(null, body),
  );
  app.addHook('onRequest', async (request) => {
    hits.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: undefined,
    });
  });
  app.addHook('preHandler', async (request) => {
    hits.at(-1)!.body = request.body;
  });
  app.get('/json', async () => ({ hello: 'world', n: [1, 2] }));
  app.get('/text', async (_r, reply) => reply.type('text/plain').send('plain text'));
  app.get('/bad-json', async (_r, reply) => reply.type('application/json').send('{not json'));
  app.post('/echo', async (request, reply) =>
    reply
      .code(201)
      .header('x-echo', 'yes')
      .send({ got: request.body, type: request.headers['content-type'] }),
  );
  app.get('/status/:code', async (request, reply) =>
    reply.code(Number((request.params as { code: string }).code)).send({ failed: true }),
  );
  app.get('/big', async (_r, reply) => reply.type('text/plain').send('x'.repeat(10_000)));
  app.get('/big-chunked', async (_r, reply) => {
    const { Readable } = await import('node:stream');
    return reply.type('text/plain').send(Readable.from(['y'.repeat(6_000), 'y'.repeat(6_000)]));
  });
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    return { late: true };
  });
  app.all('/redirect', async (request, reply) => {
    const { to, code } = request.query as { to: string; code?: string };
    return reply
      .code(Number(code ?? 302))
      .header('location', to)
      .send();
  });
  app.get('/loop/:n', async (request, reply) => {
    const n = Number((request.params as { n: string }).n);
    return reply.redirect(`/loop/${n + 1}`, 302);
  });
  app.get('/headers', async (request) => ({ headers: request.headers }));
  await app.listen({ port: 0, host });
  return { app, base: `http://${host}:${(app.server.address() as AddressInfo).port}`, hits };
}

let a: Awaited<ReturnType<typeof startTarget>>;
let b: Awaited<ReturnType<typeof startTarget>>;

beforeAll(async () => {
  a = await startTarget('127.0.0.2');
  b = await startTarget('127.0.0.3');
});
afterAll(async () => {
  await a?.app.close();
  await b?.app.close();
});

const allowA = createHttpNode(AddressPolicy.parse(['127.0.0.2']));
const allowBoth = createHttpNode(AddressPolicy.parse(['127.0.0.0/29']));
const allowNone = createHttpNode(AddressPolicy.parse([]));

const call = (
  node: ReturnType<typeof createHttpNode>,
  config: Record<string, unknown>,
  signal?: AbortSignal,
) => node.execute(nodeContext(config, {}, signal));

describe('allow-listed targets', () => {
  it('GETs JSON and parses it', async () => {
    const result = await call(allowA, { url: `${a.base}/json` });
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject({
      status: 200,
      headers: { 'content-type': expect.stringContaining('application/json') },
      body: { hello: 'world', n: [1, 2] },
    });
  });

  it('POSTs a JSON body and headers; a string body goes as text', async () => {
    const json = await call(allowA, {
      url: `${a.base}/echo`,
      method: 'post',
      headers: { 'X-Trace': 'abc' },
      body: { order: 1 },
    });
    expect(json.data).toMatchObject({
      status: 201,
      headers: { 'x-echo': 'yes' },
      body: { got: { order: 1 }, type: 'application/json' },
    });
    expect(a.hits.at(-1)!.headers['x-trace']).toBe('abc');
    const text = await call(allowA, { url: `${a.base}/echo`, method: 'POST', body: 'hi there' });
    expect(text.data.body).toEqual({ got: 'hi there', type: 'text/plain; charset=utf-8' });
  });

  it('returns what its output schema says, for JSON, text, HEAD and error statuses', async () => {
    const output = compileJsonSchema(HTTP_NODE_OUTPUT_SCHEMA, { label: 'http output' });
    for (const config of [
      { url: `${a.base}/json` },
      { url: `${a.base}/text` },
      { url: `${a.base}/json`, method: 'HEAD' },
      { url: `${a.base}/status/503` },
    ]) {
      const result = await call(allowA, config);
      expect(result.success).toBe(true);
      expect(output.problems(result.data), JSON.stringify(config)).toEqual([]);
    }
    expect(output.problems({ status: 200, headers: {} })).toEqual([
      { path: '', message: "'body' is required" },
    ]);
  });

  it('returns text as text, unparseable JSON as text, and error statuses as results', async () => {
    expect((await call(allowA, { url: `${a.base}/text` })).data.body).toBe('plain text');
    expect((await call(allowA, { url: `${a.base}/bad-json` })).data.body).toBe('{not json');
    const failed = await call(allowA, { url: `${a.base}/status/503` });
    expect(failed.data).toMatchObject({ status: 503, body: { failed: true } });
  });

  it('with failOnStatus fails on a final status >= 400: 408, 429 and 5xx retryable, other 4xx not', async () => {
    for (const [code, retryable] of [
      [408, true],
      [429, true],
      [500, true],
      [503, true],
      [400, false],
      [404, false],
      [410, false],
    ] as const) {
      const result = await call(allowA, { url: `${a.base}/status/${code}`, failOnStatus: true });
      expect(result, String(code)).toMatchObject({ success: false, retryable });
      expect(result.error).toMatch(new RegExp(`^http: GET answered ${code} [A-Z]`));
      expect(result.error).toContain('{"failed":true}');
    }
    // Redirects are followed first: the final status decides; HEAD quotes no body.
    const redirected = await call(allowA, {
      url: `${a.base}/redirect?to=/status/502`,
      failOnStatus: true,
    });
    expect(redirected).toMatchObject({ success: false, retryable: true });
    const head = await call(allowA, {
      url: `${a.base}/status/404`,
      method: 'HEAD',
      failOnStatus: true,
    });
    expect(head.error).toBe('http: HEAD answered 404 Not Found');
    const ok = await call(allowA, { url: `${a.base}/json`, failOnStatus: true });
    expect(ok).toMatchObject({ success: true, data: { status: 200 } });
    const bad = await call(allowA, { url: `${a.base}/json`, failOnStatus: 'yes' }).catch((e) => e);
    expect(bad.code).toBe('NON_RETRYABLE');
    expect(bad.message).toBe('http: config.failOnStatus must be true or false');
  });

  it('follows redirects within the allow-list; 303 turns a POST into a GET', async () => {
    const same = await call(allowA, {
      url: `${a.base}/redirect?to=${encodeURIComponent('/json')}`,
    });
    expect(same.data).toMatchObject({ status: 200, body: { hello: 'world' } });
    const seeOther = await call(allowA, {
      url: `${a.base}/redirect?code=303&to=${encodeURIComponent('/json')}`,
      method: 'POST',
      body: { x: 1 },
    });
    expect(seeOther.data.status).toBe(200);
    expect(a.hits.at(-1)!.method).toBe('GET');
  });

  it('drops Authorization on a redirect to another origin', async () => {
    const result = await call(allowBoth, {
      url: `${a.base}/redirect?to=${encodeURIComponent(`${b.base}/headers`)}`,
      headers: { authorization: 'Bearer secret', 'x-keep': '1' },
    });
    const headers = (result.data.body as { headers: Record<string, string> }).headers;
    expect(headers['x-keep']).toBe('1');
    expect(headers.authorization).toBeUndefined();
  });
});

describe('refused targets', () => {
  it.each([
    ['loopback IPv4 (not allow-listed)', () => `${a.base}/json`],
    ['localhost (resolves to loopback)', () => `http://localhost:${new URL(a.base).port}/json`],
    ['loopback IPv6', () => 'http://[::1]:9/'],
    ['IPv4-mapped loopback', () => 'http://[::ffff:127.0.0.1]:9/'],
    ['unspecified address', () => 'http://0.0.0.0:9/'],
    ['cloud metadata (link-local)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['private 10/8', () => 'http://10.1.2.3/'],
    ['private 192.168/16', () => 'https://192.168.0.1/admin'],
    ['unique-local IPv6', () => 'http://[fd12::1]/'],
  ])('refuses %s without connecting', async (_name, url) => {
    const before = a.hits.length;
    await expect(call(allowNone, { url: url() })).rejects.toMatchObject({
      code: 'NON_RETRYABLE',
      message: expect.stringMatching(/refusing .*(private, loopback or link-local)/),
    });
    expect(a.hits.length).toBe(before);
  });

  it.each([
    ['a name resolving to cloud metadata', '169.254.169.254'],
    ['a name resolving to 10/8', '10.0.0.1'],
    ['a name with one private address among public ones', '172.16.0.9'],
  ])('refuses %s (stubbed DNS) without connecting', async (_name, address) => {
    const lookups: string[] = [];
    const node = createHttpNode(AddressPolicy.parse([]), {
      lookup: async (host) => {
        lookups.push(host);
        return [
          { address: '93.184.216.34', family: 4 },
          { address, family: 4 },
        ];
      },
    });
    await expect(
      node.execute(nodeContext({ url: 'http://internal.example/metadata' })),
    ).rejects.toThrow(
      new RegExp(`internal\\.example resolves to ${address.replaceAll('.', '\\.')}`),
    );
    expect(lookups).toEqual(['internal.example']);
  });

  it('refuses a redirect to a loopback address that is not allow-listed', async () => {
    const target = `${b.base}/json`;
    const before = b.hits.length;
    await expect(
      call(allowA, { url: `${a.base}/redirect?to=${encodeURIComponent(target)}` }),
    ).rejects.toThrow(/refusing http:\/\/127\.0\.0\.3/);
    expect(b.hits.length).toBe(before);
  });

  it('stops after 5 redirects', async () => {
    await expect(call(allowA, { url: `${a.base}/loop/0` })).rejects.toThrow(
      /more than 5 redirects/,
    );
    expect(a.hits.at(-1)!.url).toBe('/loop/5');
  });

  it('refuses a redirect to another scheme', async () => {
    await expect(
      call(allowA, { url: `${a.base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}` }),
    ).rejects.toThrow(/redirect to file:/);
  });
});

describe('limits and cancellation', () => {
  it('caps the response size, declared or streamed', async () => {
    await expect(call(allowA, { url: `${a.base}/big`, maxBytes: 1_000 })).rejects.toThrow(
      /exceeds maxBytes 1000/,
    );
    await expect(call(allowA, { url: `${a.base}/big-chunked`, maxBytes: 10_000 })).rejects.toThrow(
      /exceeds maxBytes 10000/,
    );
    expect((await call(allowA, { url: `${a.base}/big`, maxBytes: 10_000 })).data.body).toHaveLength(
      10_000,
    );
  });

  it('times out after timeoutMs (retryable)', async () => {
    const started = Date.now();
    const error = await call(allowA, { url: `${a.base}/slow`, timeoutMs: 200 }).catch((e) => e);
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(error.code).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('stops when ctx.signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(call(allowA, { url: `${a.base}/slow` }, controller.signal)).rejects.toThrow(
      /aborted/,
    );
  });

  it.each([
    ['no url', {}, /config.url is required/],
    ['not a URL', { url: 'nope' }, /not a valid URL/],
    ['another scheme', { url: 'ftp://example.com/x' }, /must be http/],
    ['unknown method', { url: 'http://example.com', method: 'TRACE' }, /config.method/],
    [
      'a GET with a body',
      { url: 'http://example.com', body: 'x' },
      /GET request cannot have a body/,
    ],
    [
      'a header that is no string',
      { url: 'http://example.com', headers: { a: 1 } },
      /headers\['a'\]/,
    ],
    ['a huge maxBytes', { url: 'http://example.com', maxBytes: 1e12 }, /maxBytes must be/],
    ['timeoutMs 0', { url: 'http://example.com', timeoutMs: 0 }, /timeoutMs must be/],
  ])('refuses config with %s', async (_name, config, message) => {
    await expect(call(allowA, config)).rejects.toMatchObject({
      code: 'NON_RETRYABLE',
      message: expect.stringMatching(message),
    });
  });
});
