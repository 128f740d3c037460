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
 * The API validates with its own Ajv: unknown fields are refused (never dropped), bodies
 * are not coerced, query strings still are — whatever Ajv options the host gave fastify.
 * The per-route unknown-field cases are in bad-input.test.ts.
 */

let h: HttpHarness;
const admin = bearer(KEYS.adminA);

async function executionCount(workflowId: string): Promise<number> {
  const res = await h.app.inject({
    url: `/api/executions?workflowId=${workflowId}`,
    headers: admin,
  });
  expect(res.statusCode).toBe(200);
  return res.json().items.length;
}

beforeAll(async () => {
  h = await createHttpHarness({ workers: false });
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('orders', [{ id: 'a', type: 'echo' }]),
  });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

it('starts nothing when the data is not wrapped in initialData', async () => {
  const before = await executionCount('orders');
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/orders/execute',
    headers: admin,
    payload: { order: { id: 'o-1001', total: 42.5 } },
  });
  expect(res.statusCode).toBe(400);
  expect(res.json().error).toEqual({
    code: 'BAD_REQUEST',
    message: 'Invalid body: /body/order is not a known field',
    details: { issues: [{ path: '/body/order', message: 'is not a known field' }] },
  });
  expect(await executionCount('orders')).toBe(before);
  const wrapped = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/orders/execute',
    headers: admin,
    payload: { initialData: { order: { id: 'o-1001', total: 42.5 } } },
  });
  expect(wrapped.statusCode).toBe(202);
  const state = await h.engine.getExecution(wrapped.json().executionId, { tenantId: 'tenant-a' });
  expect(state?.initialData).toEqual({ order: { id: 'o-1001', total: 42.5 } });
  expect(await executionCount('orders')).toBe(before + 1);
});

it('still reads numbers and repeated values from the query string', async () => {
  const res = await h.app.inject({
    url: '/api/executions?workflowId=orders&status=pending&status=running&limit=1',
    headers: admin,
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().items.length).toBeLessThanOrEqual(1);
  const single = await h.app.inject({ url: '/api/executions?status=pending', headers: admin });
  expect(single.statusCode, single.body).toBe(200);
  const dlq = await h.app.inject({ url: '/api/dlq?offset=0&limit=2', headers: admin });
  expect(dlq.statusCode, dlq.body).toBe(200);
});

it("stays strict when the host's Ajv drops unknown fields and coerces types", async () => {
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: 'all', coerceTypes: true } },
  });
  // The host's own route keeps the host's lenient options.
  app.post(
    '/host/echo',
    {
      schema: {
        body: {
          type: 'object',
          properties: { n: { type: 'number' } },
          additionalProperties: false,
        },
      },
    },
    async (request) => request.body,
  );
  await app.register(spaneHttp, {
    engine: h.engine,
    auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
    prefix: '/spane',
  });
  try {
    const host = await app.inject({
      method: 'POST',
      url: '/host/echo',
      payload: { n: '5', extra: true },
    });
    expect(host.json()).toEqual({ n: 5 });
    const unknown = await app.inject({
      method: 'POST',
      url: '/spane/api/workflows/orders/execute',
      headers: admin,
      payload: { order: { id: 'o-1' } },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.issues[0].path).toBe('/body/order');
    const coerced = await app.inject({
      method: 'POST',
      url: '/spane/api/workflows/orders/execute',
      headers: admin,
      payload: { options: { priority: '5' } },
    });
    expect(coerced.statusCode).toBe(400);
    expect(coerced.json().error.message).toContain('/body/options/priority');
  } finally {
    await app.close();
  }
});
