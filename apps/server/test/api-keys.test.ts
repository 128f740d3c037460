import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { serverConfigs } from './support/test-config.js';

const KEY = 'api-keys-admin-key-00001';
const testConfig = serverConfigs('keys', KEY, { WORKER_CONCURRENCY: '1', LOG_LEVEL: 'warn' });

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { logStream: { write: () => {} } };

let server: RunningServer;

beforeAll(async () => {
  server = await startServer(testConfig(), { logStream: { write: () => {} } });
});
afterAll(() => server?.close());

async function call(method: string, path: string, key: string, body?: unknown, on = server) {
  const res = await fetch(`${on.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('API keys kept in the store (memory store)', () => {
  it('a key created with the configured admin key acts in its tenant until revoked', async () => {
    const created = await call('POST', '/api/keys', KEY, {
      scopes: ['admin'],
      tenant: 'acme',
      expiresIn: '1d',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { key, id } = created.body;
    const registered = await call('POST', '/api/workflows', key, {
      id: 'only-acme',
      name: 'only-acme',
      nodes: [{ id: 'a', type: 'noop' }],
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.tenantId).toBe('acme');
    // Tenant default does not see acme's workflow.
    expect((await call('GET', '/api/workflows/only-acme', KEY)).status).toBe(404);
    // A stored key manages its own tenant only.
    const foreign = await call('POST', '/api/keys', key, { scopes: ['read'], tenant: 'default' });
    expect(foreign.status).toBe(403);

    expect((await call('DELETE', `/api/keys/${id}?tenant=acme`, KEY)).status).toBe(204);
    const refused = await call('GET', '/api/workflows', key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('API keys kept in PostgreSQL, two API processes', () => {
  it('a key created on one process works on the other; a revocation reaches it within 5 s', async () => {
    const schema = `spane_keys_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const env = {
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      SPANE_ROLE: 'api',
      SPANE_MASTER_KEY: 'cd'.repeat(32),
    };
    const a = await startServer(testConfig(env), quiet);
    let b: RunningServer | undefined;
    try {
      b = await startServer(testConfig(env), quiet);
      const created = await call('POST', '/api/keys', KEY, { scopes: ['read'] }, a);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { key, id } = created.body;
      expect((await call('GET', '/api/workflows', key, undefined, b)).status).toBe(200);
      const listed = await call('GET', '/api/keys', KEY, undefined, b);
      expect(listed.body.items.map((k: { id: string }) => k.id)).toEqual([id]);
      expect(JSON.stringify(listed.body)).not.toContain(key);

      expect((await call('DELETE', `/api/keys/${id}`, KEY, undefined, a)).status).toBe(204);
      const revokedAt = Date.now();
      // At once on the process that revoked it …
      expect((await call('GET', '/api/workflows', key, undefined, a)).status).toBe(401);
      // … and on the other once its cached lookup (5 s) has run out.
      const deadline = revokedAt + 5_000 + 3_000;
      let status = 200;
      while (status !== 401 && Date.now() < deadline) {
        status = (await call('GET', '/api/workflows', key, undefined, b)).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(8_000);
    } finally {
      await b?.close();
      await a.close();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
