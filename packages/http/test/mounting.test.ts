import { validate } from '@readme/openapi-parser';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiKeyStore, spaneHttp } from '../src/index.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEY_SPEC,
  KEYS,
  wf,
} from './support/http-harness.js';

/**
 * The plugin is encapsulated: mounted under a prefix, its routes, docs and 404/405
 * handling live there, and the host's own routes, parsers and errors are untouched.
 */
let h: HttpHarness;
const app = Fastify();

beforeAll(async () => {
  h = await createHttpHarness({ workers: true });
  app.post('/host/echo', async (request) => ({ got: request.body }));
  app.get('/host/boom', async () => {
    throw new Error('host error');
  });
  await app.register(spaneHttp, {
    prefix: '/spane/v1',
    engine: h.engine,
    auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await h?.close();
});

it('serves the API, docs and health under the prefix', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/spane/v1/api/workflows',
    headers: bearer(KEYS.adminA),
    payload: wf('mounted', [{ id: 'a', type: 'echo' }]),
  });
  expect(res.statusCode).toBe(201);
  expect(res.headers.location).toBe('/spane/v1/api/workflows/mounted');
  expect((await app.inject({ url: '/spane/v1/health/live' })).statusCode).toBe(200);
  const doc = (await app.inject({ url: '/spane/v1/docs/json' })).json();
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      '/spane/v1/api/workflows/{id}/execute',
      '/spane/v1/api/webhooks/{tenant}/{path}',
    ]),
  );
  const checked = await validate(doc);
  expect(checked.valid && checked.warnings.length === 0, JSON.stringify(checked)).toBe(true);
  expect(
    (await app.inject({ url: '/api/workflows', headers: bearer(KEYS.adminA) })).statusCode,
  ).toBe(404);
  const wrong = await app.inject({ method: 'PUT', url: '/spane/v1/api/workflows' });
  expect(wrong.statusCode).toBe(405);
  expect(wrong.headers.allow).toContain('POST');
});

it("leaves the host's parsers and error handling alone", async () => {
  const text = await app.inject({
    method: 'POST',
    url: '/host/echo',
    headers: { 'content-type': 'text/plain' },
    payload: 'plain',
  });
  expect(text.json()).toEqual({ got: 'plain' });
  const boom = await app.inject({ url: '/host/boom' });
  expect(boom.statusCode).toBe(500);
  expect(boom.json()).not.toHaveProperty('error.code', 'INTERNAL');
});
