import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS } from './support/http-harness.js';

/**
 * `/api/secrets`: admin keys save, list and delete their tenant's secrets; values go in
 * and never come out, in no answer and in no log line; other tenants see nothing.
 */

const VALUE = 'sk_live_do-not-leak-7f3a9c';
const admin = bearer(KEYS.adminA);
const json = { ...admin, 'content-type': 'application/json' };

let h: HttpHarness;
const logLines: string[] = [];
/** Every answer body of the file, checked at the end for the values. */
const bodies: string[] = [];

async function inject(options: InjectOptions) {
  const res = await h.app.inject(options);
  bodies.push(`${JSON.stringify(res.headers)}\n${res.body}`);
  return res;
}

function put(name: string, value: unknown, headers: Record<string, string> = json) {
  return inject({
    method: 'PUT',
    url: `/api/secrets/${name}`,
    headers,
    payload: JSON.stringify({ value }),
  });
}

beforeAll(async () => {
  h = await createHttpHarness({
    workers: false,
    fastify: {
      logger: { level: 'trace', stream: { write: (line: string) => logLines.push(line) } },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('PUT /api/secrets/:name', () => {
  it('creates (201 with Location), then replaces (200), answering no value', async () => {
    const created = await put('crm-token', VALUE);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toBe('/api/secrets/crm-token');
    const info = created.json();
    expect(Object.keys(info).sort()).toEqual(['createdAt', 'dataKeyVersion', 'name', 'updatedAt']);
    expect(info).toMatchObject({ name: 'crm-token', dataKeyVersion: 1 });

    const replaced = await put('crm-token', `${VALUE}-2`);
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.headers.location).toBeUndefined();
    expect(replaced.json().createdAt).toBe(info.createdAt);
    // The vault holds the new value, encrypted: the store has no clear text of it.
    expect(await h.vault!.reveal('tenant-a', 'crm-token')).toBe(`${VALUE}-2`);
    const record = await h.store.secrets?.getSecret('tenant-a', 'crm-token');
    expect(record?.ciphertext).toEqual(expect.any(String));
    expect(JSON.stringify(record)).not.toContain(VALUE);
  });

  it.each([
    ['a name with a space', 'bad%20name', { value: 'x' }, 'BAD_REQUEST'],
    ['a name with an encoded slash', 'a%2Fb', { value: 'x' }, 'BAD_REQUEST'],
    ['a name with a non-ASCII letter', 'caf%C3%A9', { value: 'x' }, 'BAD_REQUEST'],
    ['an empty value', 'ok', { value: '' }, 'BAD_REQUEST'],
    ['a number as value', 'ok', { value: 42 }, 'BAD_REQUEST'],
    ['no value', 'ok', {}, 'BAD_REQUEST'],
    ['an unknown field', 'ok', { value: 'x', ttl: 5 }, 'BAD_REQUEST'],
    ['a value over 64 KiB as UTF-8', 'ok', { value: 'é'.repeat(40_000) }, 'INVALID_ARGUMENT'],
  ])('refuses %s with 400', async (_name, name, body, code) => {
    const res = await inject({
      method: 'PUT',
      url: `/api/secrets/${name}`,
      headers: json,
      payload: JSON.stringify(body),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe(code);
  });

  it('refuses read and execute keys with 403 before reading the body', async () => {
    for (const key of [KEYS.readA, KEYS.executeA]) {
      const res = await put('crm-token', 'overwrite', {
        ...bearer(key),
        'content-type': 'application/json',
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect(await h.vault!.reveal('tenant-a', 'crm-token')).toBe(`${VALUE}-2`);
  });
});

describe('GET /api/secrets', () => {
  it('lists names and timestamps by name, a page at a time, never values', async () => {
    for (const name of ['b-key', 'a-key', 'c-key']) {
      expect((await put(name, `${VALUE}-${name}`)).statusCode).toBe(201);
    }
    const first = await inject({ url: '/api/secrets?limit=2', headers: admin });
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json();
    expect(page.items.map((s: { name: string }) => s.name)).toEqual(['a-key', 'b-key']);
    expect(page.nextCursor).toEqual(expect.any(String));
    const rest = await inject({
      url: `/api/secrets?limit=2&cursor=${page.nextCursor}`,
      headers: admin,
    });
    expect(rest.json().items.map((s: { name: string }) => s.name)).toEqual(['c-key', 'crm-token']);
    expect(rest.json().nextCursor).toBeUndefined();
    for (const item of [...page.items, ...rest.json().items]) {
      expect(Object.keys(item).sort()).toEqual([
        'createdAt',
        'dataKeyVersion',
        'name',
        'updatedAt',
      ]);
    }
  });

  it('shows another tenant nothing of tenant A', async () => {
    const res = await inject({ url: '/api/secrets', headers: bearer(KEYS.adminB) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
    const gone = await inject({
      method: 'DELETE',
      url: '/api/secrets/crm-token',
      headers: bearer(KEYS.adminB),
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('SECRET_NOT_FOUND');
    // B's secret of the same name is another secret: new for B, A's value untouched.
    const own = await put('crm-token', 'tenant-b-value', {
      ...bearer(KEYS.adminB),
      'content-type': 'application/json',
    });
    expect(own.statusCode, own.body).toBe(201);
    expect(await h.vault!.reveal('tenant-a', 'crm-token')).toBe(`${VALUE}-2`);
    expect(await h.vault!.reveal('tenant-b', 'crm-token')).toBe('tenant-b-value');
  });

  it.each([
    ['limit=0', 'BAD_REQUEST'],
    ['limit=1001', 'BAD_REQUEST'],
    ['cursor=-1%20x', 'BAD_REQUEST'],
    ['page=2', 'BAD_REQUEST'],
  ])('refuses ?%s with 400', async (query, code) => {
    const res = await inject({ url: `/api/secrets?${query}`, headers: admin });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe(code);
  });

  it('refuses a read key with 403', async () => {
    const res = await inject({ url: '/api/secrets', headers: bearer(KEYS.readA) });
    expect(res.statusCode).toBe(403);
  });
});

describe('DELETE /api/secrets/:name', () => {
  it('deletes (204), then answers 404 SECRET_NOT_FOUND', async () => {
    const res = await inject({ method: 'DELETE', url: '/api/secrets/b-key', headers: admin });
    expect(res.statusCode, res.body).toBe(204);
    expect(await h.vault!.reveal('tenant-a', 'b-key')).toBeNull();
    const again = await inject({ method: 'DELETE', url: '/api/secrets/b-key', headers: admin });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toMatchObject({ code: 'SECRET_NOT_FOUND' });
  });

  it('refuses an execute key with 403 and a body field with 400', async () => {
    const forbidden = await inject({
      method: 'DELETE',
      url: '/api/secrets/a-key',
      headers: bearer(KEYS.executeA),
    });
    expect(forbidden.statusCode).toBe(403);
    const withBody = await inject({
      method: 'DELETE',
      url: '/api/secrets/a-key',
      headers: json,
      payload: JSON.stringify({ force: true }),
    });
    expect(withBody.statusCode).toBe(400);
    expect(await h.vault!.reveal('tenant-a', 'a-key')).toBe(`${VALUE}-a-key`);
  });
});

describe('values never leave', () => {
  it('appear in no answer and in no log line (the log is at trace level)', () => {
    expect(logLines.length).toBeGreaterThan(10);
    for (const text of [...bodies, ...logLines]) expect(text).not.toContain(VALUE);
  });
});

describe('without a vault', () => {
  it('answers 409 SECRETS_DISABLED saying how to configure one, after the key check', async () => {
    const plain = await createHttpHarness({ workers: false, secrets: false });
    try {
      for (const request of [
        { method: 'PUT' as const, url: '/api/secrets/x', payload: { value: 'v' } },
        { method: 'GET' as const, url: '/api/secrets' },
        { method: 'DELETE' as const, url: '/api/secrets/x' },
      ]) {
        const res = await plain.app.inject({ ...request, headers: admin });
        expect(res.statusCode, res.body).toBe(409);
        expect(res.json().error.code).toBe('SECRETS_DISABLED');
        expect(res.json().error.message).toContain('SPANE_MASTER_KEY');
        const read = await plain.app.inject({ ...request, headers: bearer(KEYS.readA) });
        expect(read.statusCode).toBe(403);
      }
    } finally {
      await plain.close();
    }
  });
});
