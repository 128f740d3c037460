import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS } from './support/http-harness.js';

let h: HttpHarness;
beforeAll(async () => {
  h = await createHttpHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('GET /api/session', () => {
  it.each([
    [KEYS.adminA, 'tenant-a', ['read', 'execute', 'admin']],
    [KEYS.adminB, 'tenant-b', ['read', 'execute', 'admin']],
    [KEYS.readA, 'tenant-a', ['read']],
    [KEYS.executeA, 'tenant-a', ['execute']],
  ])('tells key %s its tenant and effective scopes', async (key, tenantId, scopes) => {
    const res = await h.app.inject({ method: 'GET', url: '/api/session', headers: bearer(key) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ tenantId, scopes, keySource: 'configured' });
    expect(res.body).not.toContain(key);
  });

  it('answers 401 UNAUTHORIZED without a key or with a wrong one', async () => {
    for (const headers of [{}, bearer('not-a-key-of-this-server-01')]) {
      const res = await h.app.inject({ method: 'GET', url: '/api/session', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
  });

  it('is in the OpenAPI document as getSession', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/api/session'].get.operationId).toBe('getSession');
  });
});
