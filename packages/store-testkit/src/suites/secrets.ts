import { randomBytes } from 'node:crypto';
import {
  InvalidArgumentError,
  type NewSecretRecord,
  SECRET_PAGE,
  type SecretInfo,
  type SecretStore,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { count, expectTimestamp, ms, nextMillisecond, rejectionOf, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { partIt, partShapeTest } from './optional-part.js';
import { dataKeyTests } from './secret-data-keys.js';

const SECRET_STORE_METHODS = [
  'listDataKeys',
  'addDataKey',
  'rewrapDataKey',
  'listDataKeysNotWrappedBy',
  'putSecret',
  'getSecret',
  'listSecrets',
  'deleteSecret',
] as const;

/** A secret as `SecretVault` would save it: random bytes stand for the ciphertext. */
function newSecret(tenantId: string, name: string, dataKeyVersion = 1): NewSecretRecord {
  return { tenantId, name, dataKeyVersion, ciphertext: randomBytes(48).toString('base64') };
}

/** The names of every page of the tenant's secrets, following `nextCursor`. */
async function listAllNames(secrets: SecretStore, tenantId: string, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await secrets.listSecrets(tenantId, { limit, cursor });
    pages.push(result.items.map((i) => i.name));
    if (result.nextCursor === undefined) return pages;
    cursor = result.nextCursor;
  }
  return expect.fail('listSecrets returned a nextCursor on 1000 pages in a row');
}

/** Names in byte order (secret names are ASCII). */
function byName(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * `secrets`: `store.secrets` (encrypted secrets and wrapped data keys) — absent, or kept per
 * tenant as the `SecretStore` contract says. The store only ever sees ciphertexts.
 */
export function secretsSuite(ctx: SuiteContext): void {
  const it = partIt(ctx, 'secrets');

  describe('secrets', () => {
    partShapeTest(ctx, 'secrets', SECRET_STORE_METHODS);
    dataKeyTests(it);

    it('putSecret creates a name once; getSecret returns exactly what was given and the timestamps', async (secrets) => {
      const record = newSecret(uid('tenant'), 'db-password', 3);
      const { secret, created } = await secrets.putSecret(record);
      expect(created).toBe(true);
      const { ciphertext: _, ...info } = record;
      expect(secret).toEqual({ ...info, createdAt: secret.createdAt, updatedAt: secret.updatedAt });
      expect(Object.hasOwn(secret, 'ciphertext'), 'putSecret returns no ciphertext').toBe(false);
      expectTimestamp(secret.createdAt);
      expect(secret.updatedAt).toBe(secret.createdAt);
      expect(await secrets.getSecret(record.tenantId, 'db-password')).toEqual({
        ...record,
        createdAt: secret.createdAt,
        updatedAt: secret.updatedAt,
      });
      expect(await secrets.getSecret(record.tenantId, 'db-passwor')).toBeNull();
      expect(await secrets.getSecret(record.tenantId, 'DB-PASSWORD')).toBeNull();
    });

    it('putSecret of an existing name replaces the value and key version, keeps createdAt, created false', async (secrets) => {
      const tenant = uid('tenant');
      const first = await secrets.putSecret(newSecret(tenant, 'token', 1));
      nextMillisecond();
      const replacement = newSecret(tenant, 'token', 2);
      const second = await secrets.putSecret(replacement);
      expect(second.created).toBe(false);
      expect(second.secret.createdAt).toBe(first.secret.createdAt);
      expect(ms(second.secret.updatedAt)).toBeGreaterThanOrEqual(ms(first.secret.createdAt));
      expect(await secrets.getSecret(tenant, 'token')).toEqual({
        ...replacement,
        createdAt: first.secret.createdAt,
        updatedAt: second.secret.updatedAt,
      });
    });

    it("the same name in two tenants is two secrets; a foreign tenant's name is not there", async (secrets) => {
      const [a, b] = [uid('tenant-a'), uid('tenant-b')];
      const recA = newSecret(a, 'api-token');
      const putA = await secrets.putSecret(recA);
      expect(await secrets.getSecret(b, 'api-token')).toBeNull();
      expect((await secrets.listSecrets(b)).items).toEqual([]);
      expect(await secrets.deleteSecret(b, 'api-token')).toBe(false);
      const recB = newSecret(b, 'api-token', 7);
      expect((await secrets.putSecret(recB)).created).toBe(true);
      expect(await secrets.getSecret(a, 'api-token')).toMatchObject(recA);
      expect(await secrets.getSecret(b, 'api-token')).toMatchObject(recB);
      expect((await secrets.listSecrets(a)).items).toEqual([putA.secret]);
      expect(await secrets.deleteSecret(b, 'api-token')).toBe(true);
      expect(await secrets.getSecret(a, 'api-token')).toMatchObject(recA);
    });

    it('deleteSecret removes a name exactly once, also when called concurrently; it can be created again', async (secrets) => {
      const tenant = uid('tenant');
      await secrets.putSecret(newSecret(tenant, 'gone'));
      const results = await Promise.all(
        Array.from({ length: 12 }, () => secrets.deleteSecret(tenant, 'gone')),
      );
      expect(count(results, (r) => r)).toBe(1);
      expect(await secrets.getSecret(tenant, 'gone')).toBeNull();
      expect(await secrets.deleteSecret(tenant, 'gone')).toBe(false);
      expect(await secrets.deleteSecret(tenant, 'never-there')).toBe(false);
      expect((await secrets.putSecret(newSecret(tenant, 'gone'))).created).toBe(true);
    });

    it('of concurrent putSecret calls for a new name exactly one reports created', async (secrets) => {
      const tenant = uid('tenant');
      const records = Array.from({ length: 10 }, () => newSecret(tenant, 'raced'));
      const results = await Promise.all(records.map((r) => secrets.putSecret(r)));
      expect(count(results, (r) => r.created)).toBe(1);
      const stored = await secrets.getSecret(tenant, 'raced');
      expect(records.map((r) => r.ciphertext)).toContain(stored?.ciphertext);
    });

    listingTests(it);
  });
}

/** The `listSecrets` tests of the `secrets` suite. */
function listingTests(it: ReturnType<typeof partIt<'secrets'>>): void {
  it('listSecrets pages by name (byte order), without values, each name once', async (secrets) => {
    const tenant = uid('tenant');
    const names = ['b', 'B', 'a', 'A-1', '_x', 'a.b', 'Z', 'zz', '0', '-', 'a-b'];
    for (const name of names) await secrets.putSecret(newSecret(tenant, name));
    await secrets.putSecret(newSecret(uid('tenant-other'), 'a'));
    const expected = byName(names);
    for (const limit of [1, 3, 10, 11]) {
      const pages = await listAllNames(secrets, tenant, limit);
      expect(pages.flat(), `limit ${limit}`).toEqual(expected);
      expect(
        pages
          .map((p) => p.length)
          .slice(0, -1)
          .every((n) => n === limit),
      ).toBe(true);
      expect(
        pages.every((p) => p.length > 0),
        `limit ${limit}: no empty page`,
      ).toBe(true);
    }
    const { items } = await secrets.listSecrets(tenant);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(
        ['createdAt', 'dataKeyVersion', 'name', 'tenantId', 'updatedAt'].sort(),
      );
    }
    expect(items[0]).toEqual(await secretInfo(secrets, tenant, expected[0]!));
  });

  it('listSecrets starts after the cursor, also when that name was deleted since or never existed', async (secrets) => {
    const tenant = uid('tenant');
    for (const name of ['a', 'b', 'c', 'd']) await secrets.putSecret(newSecret(tenant, name));
    const first = await secrets.listSecrets(tenant, { limit: 2 });
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b']);
    expect(first.nextCursor).toBe('b');
    await secrets.deleteSecret(tenant, 'b');
    const rest = await secrets.listSecrets(tenant, { limit: 2, cursor: first.nextCursor });
    expect(rest.items.map((i) => i.name)).toEqual(['c', 'd']);
    expect(rest.nextCursor).toBeUndefined();
    const none = await secrets.listSecrets(tenant, { cursor: 'd' });
    expect(none).toEqual({ items: [] });
    const fromUnknown = await secrets.listSecrets(tenant, { cursor: 'bb' });
    expect(fromUnknown.items.map((i) => i.name)).toEqual(['c', 'd']);
  });

  it(`listSecrets: limit defaults to ${SECRET_PAGE.defaultLimit}, is rounded down and kept within 1 and ${SECRET_PAGE.maxLimit}`, async (secrets) => {
    const tenant = uid('tenant');
    const total = SECRET_PAGE.defaultLimit + 1;
    const names = Array.from({ length: total }, (_, i) => `s-${String(i).padStart(4, '0')}`);
    await Promise.all(names.map((n) => secrets.putSecret(newSecret(tenant, n))));
    const byDefault = await secrets.listSecrets(tenant);
    expect(byDefault.items).toHaveLength(SECRET_PAGE.defaultLimit);
    expect(byDefault.nextCursor).toBeDefined();
    expect((await secrets.listSecrets(tenant, { limit: 0 })).items).toHaveLength(1);
    expect((await secrets.listSecrets(tenant, { limit: -5 })).items).toHaveLength(1);
    expect((await secrets.listSecrets(tenant, { limit: 2.9 })).items).toHaveLength(2);
    const unbounded = await secrets.listSecrets(tenant, { limit: Number.POSITIVE_INFINITY });
    expect(unbounded.items.map((i) => i.name)).toEqual(names);
    expect(unbounded.nextCursor).toBeUndefined();
  });

  it('listSecrets refuses a malformed cursor or a NaN limit with InvalidArgumentError', async (secrets) => {
    const tenant = uid('tenant');
    await secrets.putSecret(newSecret(tenant, 'a'));
    for (const cursor of ['', ' a', 'a b', '*', 'ä', 'a/b', 'a'.repeat(129)]) {
      expect(
        await rejectionOf(secrets.listSecrets(tenant, { cursor })),
        `cursor '${cursor.slice(0, 10)}'`,
      ).toBeInstanceOf(InvalidArgumentError);
    }
    expect(await rejectionOf(secrets.listSecrets(tenant, { limit: Number.NaN }))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });
}

async function secretInfo(secrets: SecretStore, tenant: string, name: string): Promise<SecretInfo> {
  const record = await secrets.getSecret(tenant, name);
  expect(record, `secret ${name}`).not.toBeNull();
  const { ciphertext: _, ...info } = record!;
  return info;
}
