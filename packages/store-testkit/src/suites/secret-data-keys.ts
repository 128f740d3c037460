import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type SecretStore, type WrappedDataKey } from '@spane/core';
import { expect } from 'vitest';
import { count, rejectionOf, sorted, uid } from '../helpers.js';
import type { PartIt } from './optional-part.js';

/** A wrapped data key as `SecretVault` would save it (random bytes stand for the key). */
export function dataKey(
  tenantId: string,
  version: number,
  masterKeyId: string,
  overrides: Partial<WrappedDataKey> = {},
): WrappedDataKey {
  return {
    tenantId,
    version,
    masterKeyId,
    wrappedKey: randomBytes(60).toString('base64'),
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

/** The data-key tests of the `secrets` suite. */
export function dataKeyTests(it: PartIt<'secrets'>): void {
  it('a tenant without data keys lists none; added keys come back as given, oldest version first', async (secrets) => {
    const tenant = uid('tenant');
    expect(await secrets.listDataKeys(tenant)).toEqual([]);
    const v2 = dataKey(tenant, 2, uid('mk'));
    const v1 = dataKey(tenant, 1, uid('mk'), { createdAt: '2024-02-29T23:59:59.123Z' });
    expect(await secrets.addDataKey(v2)).toBe(true);
    expect(await secrets.addDataKey(v1)).toBe(true);
    expect(await secrets.listDataKeys(tenant)).toEqual([v1, v2]);
  });

  it('addDataKey of a version the tenant has returns false and keeps the first key', async (secrets) => {
    const tenant = uid('tenant');
    const first = dataKey(tenant, 1, uid('mk'));
    expect(await secrets.addDataKey(first)).toBe(true);
    expect(await secrets.addDataKey(dataKey(tenant, 1, uid('mk')))).toBe(false);
    expect(await secrets.listDataKeys(tenant)).toEqual([first]);
  });

  it('of concurrent addDataKey calls for one version exactly one returns true, and its key is kept', async (secrets) => {
    const tenant = uid('tenant');
    const keys = Array.from({ length: 12 }, () => dataKey(tenant, 1, uid('mk')));
    const results = await Promise.all(keys.map((k) => secrets.addDataKey(k)));
    expect(count(results, (r) => r)).toBe(1);
    expect(await secrets.listDataKeys(tenant)).toEqual([keys[results.indexOf(true)]]);
  });

  it('data keys are per tenant: the same version in two tenants, each listing only its own', async (secrets) => {
    const [a, b] = [uid('tenant-a'), uid('tenant-b')];
    const keyA = dataKey(a, 1, 'mk-shared');
    const keyB = dataKey(b, 1, 'mk-shared');
    expect(await secrets.addDataKey(keyA)).toBe(true);
    expect(await secrets.addDataKey(keyB)).toBe(true);
    expect(await secrets.listDataKeys(a)).toEqual([keyA]);
    expect(await secrets.listDataKeys(b)).toEqual([keyB]);
  });

  rotationTests(it);
}

/** The rewrap and rotation tests of the `secrets` suite. */
function rotationTests(it: PartIt<'secrets'>): void {
  it('rewrapDataKey replaces the wrapping only while the expected master key still wraps it', async (secrets) => {
    const tenant = uid('tenant');
    const [oldId, newId] = [uid('mk-old'), uid('mk-new')];
    const key = dataKey(tenant, 1, oldId);
    await secrets.addDataKey(key);
    const next = { masterKeyId: newId, wrappedKey: randomBytes(60).toString('base64') };
    expect(await secrets.rewrapDataKey(tenant, 1, oldId, next)).toBe(true);
    const rewrapped = { ...key, ...next };
    expect(await secrets.listDataKeys(tenant)).toEqual([rewrapped]);
    // A process that read the old wrapping tries again: stale, refused, nothing changes.
    const stale = { masterKeyId: uid('mk'), wrappedKey: 'c3RhbGU=' };
    expect(await secrets.rewrapDataKey(tenant, 1, oldId, stale)).toBe(false);
    expect(await secrets.rewrapDataKey(tenant, 2, newId, stale)).toBe(false);
    expect(await secrets.rewrapDataKey(uid('tenant'), 1, newId, stale)).toBe(false);
    expect(await secrets.listDataKeys(tenant)).toEqual([rewrapped]);
  });

  it('of concurrent rewraps expecting the same master key exactly one succeeds', async (secrets) => {
    const tenant = uid('tenant');
    const oldId = uid('mk-old');
    await secrets.addDataKey(dataKey(tenant, 1, oldId));
    const nexts = Array.from({ length: 10 }, (_, i) => ({
      masterKeyId: `mk-${i}`,
      wrappedKey: randomBytes(60).toString('base64'),
    }));
    const results = await Promise.all(nexts.map((n) => secrets.rewrapDataKey(tenant, 1, oldId, n)));
    expect(count(results, (r) => r)).toBe(1);
    const [stored] = await secrets.listDataKeys(tenant);
    expect(stored).toMatchObject(nexts[results.indexOf(true)]!);
  });

  it("another tenant's data key cannot be rewrapped through the wrong tenant", async (secrets) => {
    const [a, b] = [uid('tenant-a'), uid('tenant-b')];
    const oldId = uid('mk');
    const keyA = dataKey(a, 1, oldId);
    await secrets.addDataKey(keyA);
    const next = { masterKeyId: uid('mk'), wrappedKey: 'bmV4dA==' };
    expect(await secrets.rewrapDataKey(b, 1, oldId, next)).toBe(false);
    expect(await secrets.listDataKeys(a)).toEqual([keyA]);
    expect(await secrets.listDataKeys(b)).toEqual([]);
  });

  it('listDataKeysNotWrappedBy finds the keys of every tenant left to rotate, up to limit', async (secrets) => {
    const [a, b] = [uid('tenant-a'), uid('tenant-b')];
    const [oldId, newId] = [uid('mk-old'), uid('mk-new')];
    const stale = [dataKey(a, 1, oldId), dataKey(b, 1, oldId), dataKey(b, 2, uid('mk-other'))];
    const current = dataKey(a, 2, newId);
    for (const key of [...stale, current]) await secrets.addDataKey(key);

    const one = await secrets.listDataKeysNotWrappedBy(newId, 1);
    expect(one).toHaveLength(1);
    expect(one[0]!.masterKeyId).not.toBe(newId);
    const all = await secrets.listDataKeysNotWrappedBy(newId, 1000);
    expect(all.every((k) => k.masterKeyId !== newId)).toBe(true);
    const ours = all.filter((k) => k.tenantId === a || k.tenantId === b);
    expect(sorted(ours, keyId)).toEqual(sorted(stale, keyId));

    await rotateAll(secrets, newId);
    expect(await secrets.listDataKeysNotWrappedBy(newId, 1000)).toEqual([]);
    const rotated = [...(await secrets.listDataKeys(a)), ...(await secrets.listDataKeys(b))];
    expect(rotated.map((k) => k.masterKeyId)).toEqual([newId, newId, newId, newId]);
    expect(await secrets.listDataKeys(a)).toContainEqual(current);
  });

  it('listDataKeysNotWrappedBy refuses a limit that is not a positive integer', async (secrets) => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(
        await rejectionOf(secrets.listDataKeysNotWrappedBy('mk', limit)),
        `limit ${limit}`,
      ).toBeInstanceOf(InvalidArgumentError);
    }
  });
}

function keyId(key: WrappedDataKey): string {
  return `${key.tenantId}/${key.version}`;
}

/** Rewraps, page by page, every key not wrapped by `masterKeyId` (as a rotation does). */
async function rotateAll(secrets: SecretStore, masterKeyId: string): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    const batch = await secrets.listDataKeysNotWrappedBy(masterKeyId, 2);
    if (batch.length === 0) return;
    for (const key of batch) {
      const next = { masterKeyId, wrappedKey: randomBytes(60).toString('base64') };
      expect(await secrets.rewrapDataKey(key.tenantId, key.version, key.masterKeyId, next)).toBe(
        true,
      );
    }
  }
  expect.fail('listDataKeysNotWrappedBy still returned keys after 1000 rounds of rewrapping');
}
