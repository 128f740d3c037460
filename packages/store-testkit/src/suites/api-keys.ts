import { createHash, randomBytes } from 'node:crypto';
import {
  type ApiKeyRecord,
  type ApiKeyRecordStore,
  InvalidArgumentError,
  type NewApiKeyRecord,
} from '@spane/core';
import { describe, expect } from 'vitest';
import {
  count,
  expectTimestamp,
  isoFromNow,
  nextMillisecond,
  rejectionOf,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { partIt, partShapeTest, settledCounts } from './optional-part.js';

const API_KEY_STORE_METHODS = [
  'createApiKey',
  'findApiKeyByHash',
  'listApiKeys',
  'revokeApiKey',
] as const;

/** A new key as the API would save it: the key itself is hashed here and never given. */
function newKey(tenantId: string, overrides: Partial<NewApiKeyRecord> = {}): NewApiKeyRecord {
  const key = `spk_${randomBytes(24).toString('base64url')}`;
  return {
    id: uid('key'),
    tenantId,
    scopes: ['read'],
    hash: createHash('sha256').update(key).digest('hex'),
    prefix: key.slice(0, 8),
    ...overrides,
  };
}

/** Creates keys one after another, each in a later millisecond than the one before. */
async function createInOrder(keys: ApiKeyRecordStore, records: NewApiKeyRecord[]) {
  const created: ApiKeyRecord[] = [];
  for (const record of records) {
    nextMillisecond();
    created.push(await keys.createApiKey(record));
  }
  return created;
}

/**
 * `api-keys`: `store.apiKeys` (API keys created through the API, kept as hashes) — absent,
 * or as the `ApiKeyRecordStore` contract says.
 */
export function apiKeysSuite(ctx: SuiteContext): void {
  const it = partIt(ctx, 'apiKeys');

  describe('api-keys', () => {
    partShapeTest(ctx, 'apiKeys', API_KEY_STORE_METHODS);

    it('createApiKey returns exactly what was given plus createdAt; findApiKeyByHash finds it', async (keys) => {
      const record = newKey(uid('tenant'), { scopes: ['execute', 'read'] });
      const created = await keys.createApiKey(record);
      expectTimestamp(created.createdAt);
      expect(created).toEqual({ ...record, createdAt: created.createdAt });
      expect(Object.keys(created).sort()).toEqual(
        ['createdAt', 'hash', 'id', 'prefix', 'scopes', 'tenantId'].sort(),
      );
      expect(await keys.findApiKeyByHash(record.hash)).toEqual(created);
      expect(await keys.findApiKeyByHash(newKey('t').hash)).toBeNull();
      expect(await keys.findApiKeyByHash(record.hash.toUpperCase())).toBeNull();
    });

    it('name and expiresAt round-trip, also an expiry already past (the caller decides)', async (keys) => {
      const tenant = uid('tenant');
      const future = newKey(tenant, { name: 'ci deploy', expiresAt: isoFromNow(30 * 86_400_000) });
      const past = newKey(tenant, { scopes: ['admin'], expiresAt: '2001-02-03T04:05:06.789Z' });
      for (const record of [future, past]) {
        const created = await keys.createApiKey(record);
        expect(created).toEqual({ ...record, createdAt: created.createdAt });
        expect(await keys.findApiKeyByHash(record.hash)).toEqual(created);
      }
    });

    it('createApiKey refuses an id or a hash that exists (in any tenant) with InvalidArgumentError', async (keys) => {
      const tenant = uid('tenant');
      const original = await keys.createApiKey(newKey(tenant));
      const sameId = newKey(uid('tenant'), { id: original.id });
      const sameHash = newKey(uid('tenant'), { hash: original.hash });
      for (const duplicate of [sameId, sameHash]) {
        expect(await rejectionOf(keys.createApiKey(duplicate))).toBeInstanceOf(
          InvalidArgumentError,
        );
      }
      expect(await keys.findApiKeyByHash(sameId.hash)).toBeNull();
      expect(await keys.findApiKeyByHash(original.hash)).toEqual(original);
      expect(await keys.listApiKeys(tenant)).toEqual([original]);
    });

    it('of concurrent creates with one id exactly one succeeds; the others get InvalidArgumentError', async (keys) => {
      const tenant = uid('tenant');
      const id = uid('key');
      const records = Array.from({ length: 10 }, () => newKey(tenant, { id }));
      const { values, errors } = await settledCounts(records.map((r) => keys.createApiKey(r)));
      expect(values).toHaveLength(1);
      expect(errors.every((e) => e instanceof InvalidArgumentError)).toBe(true);
      expect(await keys.listApiKeys(tenant)).toEqual(values);
    });

    it('createApiKey refuses an expiresAt that is not a date with InvalidArgumentError', async (keys) => {
      const record = newKey(uid('tenant'), { expiresAt: 'next tuesday' });
      expect(await rejectionOf(keys.createApiKey(record))).toBeInstanceOf(InvalidArgumentError);
      expect(await keys.findApiKeyByHash(record.hash)).toBeNull();
    });

    it("listApiKeys lists the tenant's keys newest first, and only its own", async (keys) => {
      const [a, b] = [uid('tenant-a'), uid('tenant-b')];
      const created = await createInOrder(keys, [newKey(a), newKey(b), newKey(a), newKey(a)]);
      const ofA = created.filter((k) => k.tenantId === a).reverse();
      expect(await keys.listApiKeys(a)).toEqual(ofA);
      expect(await keys.listApiKeys(b)).toEqual([created[1]]);
      expect(await keys.listApiKeys(uid('tenant'))).toEqual([]);
    });

    revocationTests(it);
  });
}

/** The `revokeApiKey` tests of the `api-keys` suite. */
function revocationTests(it: ReturnType<typeof partIt<'apiKeys'>>): void {
  it('revokeApiKey revokes once: revokedAt is set, the key is still found and listed', async (keys) => {
    const tenant = uid('tenant');
    const record = await keys.createApiKey(newKey(tenant));
    expect(await keys.revokeApiKey(record.id, tenant)).toBe(true);
    expect(await keys.revokeApiKey(record.id, tenant)).toBe(false);
    const found = await keys.findApiKeyByHash(record.hash);
    expectTimestamp(found?.revokedAt);
    expect(found).toEqual({ ...record, revokedAt: found?.revokedAt });
    expect(await keys.listApiKeys(tenant)).toEqual([found]);
  });

  it("revokeApiKey of another tenant's or an unknown id returns false and changes nothing", async (keys) => {
    const [a, b] = [uid('tenant-a'), uid('tenant-b')];
    const record = await keys.createApiKey(newKey(a));
    expect(await keys.revokeApiKey(record.id, b)).toBe(false);
    expect(await keys.revokeApiKey(uid('key'), a)).toBe(false);
    expect(await keys.findApiKeyByHash(record.hash)).toEqual(record);
    expect(await keys.listApiKeys(b)).toEqual([]);
  });

  it('of concurrent revokes of one key exactly one returns true', async (keys) => {
    const tenant = uid('tenant');
    const record = await keys.createApiKey(newKey(tenant));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => keys.revokeApiKey(record.id, tenant)),
    );
    expect(count(results, (r) => r)).toBe(1);
    expectTimestamp((await keys.findApiKeyByHash(record.hash))?.revokedAt);
  });
}
