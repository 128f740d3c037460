import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { serverConfigs } from './support/test-config.js';

const KEY = 'api-keys-admin-key-00001';
const testConfig = serverConfigs('keys', KEY, { WORKER_CONCURRENCY: '1', LOG_LEVEL: 'warn' });

let server: RunningServer;

beforeAll(async () => {
  server = await startServer(testConfig(), { logStream: { write: () => {} } });
});
afterAll(() => server?.close());

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
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
