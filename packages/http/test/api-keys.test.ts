import type { ApiKeyRecordStore } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNoEscalation } from '../src/api-key-issuing.js';
import {
  ApiKeyStore,
  generateApiKey,
  hashApiKey,
  type SpaneHttpAuth,
  spaneFrameworkErrors,
  spaneHttp,
} from '../src/index.js';
import { StoredApiKeys } from '../src/stored-api-keys.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEY_SPEC,
  KEYS,
  until,
} from './support/http-harness.js';

let h: HttpHarness;
const extraApps: FastifyInstance[] = [];

beforeAll(async () => {
  h = await createHttpHarness();
});
afterAll(async () => {
  for (const app of extraApps) await app.close();
  await h?.close();
});

/** Another API process on the same engine: `auth` as given. */
async function otherApp(auth: SpaneHttpAuth): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, frameworkErrors: spaneFrameworkErrors });
  await app.register(spaneHttp, { engine: h.engine, auth, rateLimit: false, docs: false });
  await app.ready();
  extraApps.push(app);
  return app;
}

async function createKey(by: string, body: Record<string, unknown>, app = h.app) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/keys',
    headers: bearer(by),
    payload: body,
  });
  return { status: res.statusCode, body: res.json() };
}

async function statusWith(key: string, app = h.app, url = '/api/workflows'): Promise<number> {
  return (await app.inject({ url, headers: bearer(key) })).statusCode;
}

/** Fault injection around the memory store's keys: `fail` throws, `hang` never answers. */
function faultyKeys(): {
  store: ApiKeyRecordStore;
  mode: { now: 'ok' | 'fail' | 'hang' };
  lookups: () => number;
} {
  const real = new InMemoryExecutionStore().apiKeys;
  const mode = { now: 'ok' as 'ok' | 'fail' | 'hang' };
  let lookups = 0;
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    if (mode.now === 'fail') throw new Error('connection refused');
    if (mode.now === 'hang') return new Promise<T>(() => {});
    return call();
  };
  const store: ApiKeyRecordStore = {
    createApiKey: (r) => guard(() => real.createApiKey(r)),
    findApiKeyByHash: (hash) => {
      lookups += 1;
      return guard(() => real.findApiKeyByHash(hash));
    },
    listApiKeys: (t) => guard(() => real.listApiKeys(t)),
    revokeApiKey: (id, t) => guard(() => real.revokeApiKey(id, t)),
  };
  return { store, mode, lookups: () => lookups };
}

describe('a key created through the API', () => {
  it('is shown once, authenticates with its scopes and tenant, is listed without key or hash, and stops on revocation', async () => {
    const created = await createKey(KEYS.adminA, {
      scopes: ['read', 'execute'],
      name: 'ci',
      expiresIn: '30d',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { key, id, prefix, expiresAt } = created.body;
    expect(key).toMatch(/^spane_[A-Za-z0-9_-]{43}$/);
    expect(id).toMatch(/^key_[A-Za-z0-9_-]{16}$/);
    expect(prefix).toBe(key.slice(0, 12));
    expect(created.body).toMatchObject({
      tenantId: 'tenant-a',
      scopes: ['read', 'execute'],
      name: 'ci',
    });
    const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    expect(await statusWith(key)).toBe(200);
    // read + execute, not admin.
    expect(await statusWith(key, h.app, '/api/keys')).toBe(403);

    const listed = await h.app.inject({ url: '/api/keys', headers: bearer(KEYS.adminA) });
    expect(listed.statusCode).toBe(200);
    const item = listed.json().items.find((i: { id: string }) => i.id === id);
    expect(item).toEqual({
      id,
      tenantId: 'tenant-a',
      scopes: ['read', 'execute'],
      prefix,
      name: 'ci',
      createdAt: expect.any(String),
      expiresAt,
      expired: false,
    });
    const stored = await h.store.apiKeys!.findApiKeyByHash(hashApiKey(key));
    expect(stored?.id).toBe(id);
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain(stored!.hash);
    expect(listed.body).not.toContain('"hash"');

    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/api/keys/${id}`,
      headers: bearer(KEYS.adminA),
    });
    expect(revoked.statusCode).toBe(204);
    const refused = await h.app.inject({ url: '/api/workflows', headers: bearer(key) });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid API key' });
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/api/keys/${id}`,
      headers: bearer(KEYS.adminA),
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('API_KEY_NOT_FOUND');
    const after = await h.app.inject({ url: '/api/keys', headers: bearer(KEYS.adminA) });
    const gone = after.json().items.find((i: { id: string }) => i.id === id);
    expect(gone.revokedAt).toEqual(expect.any(String));
  });

  it('stops authenticating in another process within that process cache time', async () => {
    const cacheMs = 300;
    const other = await otherApp({
      mode: 'keys',
      keys: ApiKeyStore.parse(KEY_SPEC),
      stored: h.store.apiKeys!,
      storedCacheMs: cacheMs,
    });
    const { body } = await createKey(KEYS.adminA, { scopes: ['read'] });
    expect(await statusWith(body.key, other)).toBe(200);
    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/api/keys/${body.id}`,
      headers: bearer(KEYS.adminA),
    });
    expect(revoked.statusCode).toBe(204);
    const revokedAt = Date.now();
    // The other process still has it cached …
    expect(await statusWith(body.key, other)).toBe(200);
    // … until its cache time has passed.
    await until(async () => (await statusWith(body.key, other)) === 401, cacheMs + 2_000);
    expect(Date.now() - revokedAt).toBeGreaterThanOrEqual(cacheMs - 50);
  });

  it('answers 401 once expired, also while cached', async () => {
    const expired = generateApiKey();
    await h.store.apiKeys!.createApiKey({
      ...expired,
      tenantId: 'tenant-a',
      scopes: ['read'],
      expiresAt: new Date(Date.now() - 1_000).toISOString(),
    });
    const res = await h.app.inject({ url: '/api/workflows', headers: bearer(expired.key) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Invalid API key');

    const soon = generateApiKey();
    const expiresAt = Date.now() + 400;
    await h.store.apiKeys!.createApiKey({
      ...soon,
      tenantId: 'tenant-a',
      scopes: ['read'],
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(await statusWith(soon.key)).toBe(200);
    await until(async () => (await statusWith(soon.key)) === 401, 3_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const listed = await h.app.inject({ url: '/api/keys', headers: bearer(KEYS.adminA) });
    const item = listed.json().items.find((i: { id: string }) => i.id === soon.id);
    expect(item.expired).toBe(true);
  });

  it('an unknown key that looks like a stored one answers 401, and is remembered as unknown', async () => {
    const faulty = faultyKeys();
    const app = await otherApp({
      mode: 'keys',
      keys: ApiKeyStore.parse(KEY_SPEC),
      stored: faulty.store,
    });
    const unknown = generateApiKey().key;
    expect(await statusWith(unknown, app)).toBe(401);
    expect(await statusWith(unknown, app)).toBe(401);
    expect(faulty.lookups()).toBe(1);
    // Keys that cannot be stored ones (no spane_ prefix) never reach the store.
    expect(await statusWith('not-a-configured-key-123', app)).toBe(401);
    expect(faulty.lookups()).toBe(1);
  });
});

describe('tenancy and escalation', () => {
  it('a configured admin key creates keys of another tenant; they act in that tenant', async () => {
    const created = await createKey(KEYS.adminA, { scopes: ['admin'], tenant: 'tenant-c' });
    expect(created.status).toBe(201);
    expect(created.body.tenantId).toBe('tenant-c');
    const listed = await h.app.inject({ url: '/api/keys', headers: bearer(created.body.key) });
    expect(listed.json().items.map((i: { id: string }) => i.id)).toEqual([created.body.id]);
    const asOperator = await h.app.inject({
      url: '/api/keys?tenant=tenant-c',
      headers: bearer(KEYS.adminA),
    });
    expect(asOperator.json().items.map((i: { id: string }) => i.id)).toEqual([created.body.id]);
  });

  it('a stored admin key may not name another tenant (403), on every key route', async () => {
    const { body } = await createKey(KEYS.adminA, { scopes: ['admin'] });
    const stored = bearer(body.key);
    expect((await createKey(body.key, { scopes: ['read'], tenant: 'tenant-b' })).status).toBe(403);
    expect(
      (await h.app.inject({ url: '/api/keys?tenant=tenant-b', headers: stored })).statusCode,
    ).toBe(403);
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/api/keys/${body.id}?tenant=tenant-b`,
      headers: stored,
    });
    expect(del.statusCode).toBe(403);
    // Its own tenant, named or not, is fine.
    expect((await createKey(body.key, { scopes: ['read'], tenant: 'tenant-a' })).status).toBe(201);
  });

  it("another tenant's key id answers 404, and that key keeps working", async () => {
    const b = await createKey(KEYS.adminB, { scopes: ['read'] });
    const res = await h.app.inject({
      method: 'DELETE',
      url: `/api/keys/${b.body.id}`,
      headers: bearer(KEYS.adminA),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('API_KEY_NOT_FOUND');
    const listA = await h.app.inject({ url: '/api/keys', headers: bearer(KEYS.adminA) });
    expect(listA.body).not.toContain(b.body.id);
    expect(await statusWith(b.body.key)).toBe(200);
  });

  it('a key that expires cannot create one that outlives it (403)', async () => {
    const { body } = await createKey(KEYS.adminA, { scopes: ['admin'], expiresIn: '1h' });
    const never = await createKey(body.key, { scopes: ['read'] });
    expect(never.status).toBe(403);
    expect(never.body.error.code).toBe('FORBIDDEN');
    expect((await createKey(body.key, { scopes: ['read'], expiresIn: '2h' })).status).toBe(403);
    expect((await createKey(body.key, { scopes: ['read'], expiresIn: '30m' })).status).toBe(201);
  });

  it('a creator cannot give a scope it lacks', () => {
    const reader = { tenantId: 't', scopes: ['read' as const] };
    expect(() => checkNoEscalation(reader, ['read', 'execute'], undefined)).toThrow(/execute/);
    expect(() => checkNoEscalation(reader, ['read'], undefined)).not.toThrow();
    const admin = { tenantId: 't', scopes: ['admin' as const] };
    expect(() => checkNoEscalation(admin, ['read', 'execute', 'admin'], undefined)).not.toThrow();
  });

  it.each([
    ['read', KEYS.readA],
    ['execute', KEYS.executeA],
  ])('a %s key answers 403 on every key route', async (_scope, key) => {
    const requests = [
      { method: 'POST' as const, url: '/api/keys', payload: { scopes: ['read'] } },
      { method: 'GET' as const, url: '/api/keys' },
      { method: 'DELETE' as const, url: '/api/keys/key_anything' },
    ];
    for (const request of requests) {
      const res = await h.app.inject({ ...request, headers: bearer(key) });
      expect(res.statusCode, `${request.method} ${request.url}`).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });
});

describe('without a store of keys, and when the store fails', () => {
  it('the key routes answer 409 STORED_KEYS_DISABLED', async () => {
    const app = await otherApp({ mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) });
    for (const request of [
      { method: 'POST' as const, url: '/api/keys', payload: { scopes: ['read'] } },
      { method: 'GET' as const, url: '/api/keys' },
      { method: 'DELETE' as const, url: '/api/keys/key_x' },
    ]) {
      const res = await app.inject({ ...request, headers: bearer(KEYS.adminA) });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('STORED_KEYS_DISABLED');
    }
  });

  it('a lookup that fails answers 503 UNAVAILABLE; configured keys keep working', async () => {
    const faulty = faultyKeys();
    const app = await otherApp({
      mode: 'keys',
      keys: ApiKeyStore.parse(KEY_SPEC),
      stored: faulty.store,
      storedCacheMs: 0,
    });
    const { body } = await createKey(KEYS.adminA, { scopes: ['read'] }, app);
    faulty.mode.now = 'fail';
    const res = await app.inject({ url: '/api/workflows', headers: bearer(body.key) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
    expect(await statusWith(KEYS.adminA, app)).toBe(200);
    const created = await createKey(KEYS.adminA, { scopes: ['read'] }, app);
    expect(created.status).toBe(503);
    faulty.mode.now = 'ok';
    expect(await statusWith(body.key, app)).toBe(200);
  });

  it('a lookup that hangs answers 503 after the timeout', async () => {
    const faulty = faultyKeys();
    const keys = new StoredApiKeys(faulty.store, 0, 100);
    faulty.mode.now = 'hang';
    const started = Date.now();
    await expect(keys.findByHash('0'.repeat(64))).rejects.toMatchObject({
      statusCode: 503,
      code: 'UNAVAILABLE',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    // The next lookup asks the store again: a timeout is not remembered.
    faulty.mode.now = 'ok';
    await expect(keys.findByHash('0'.repeat(64))).resolves.toBeNull();
  });
});
