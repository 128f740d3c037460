import { randomBytes } from 'node:crypto';
import { parseMasterKeys, SecretNotFoundError, SecretVault } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { describe, expect, it } from 'vitest';

const key = () => randomBytes(32).toString('base64');

function vaultOf(store: InMemoryExecutionStore, keys: string): SecretVault {
  return new SecretVault(store.secrets, { masterKeys: parseMasterKeys(keys) });
}

describe('SecretVault over the in-memory store', () => {
  it('round-trips a value and stores only ciphertext', async () => {
    const store = new InMemoryExecutionStore();
    const vault = vaultOf(store, `v1:${key()}`);
    const { created, secret } = await vault.set('acme', 'stripe.token', 'sk_live_very_secret');
    expect(created).toBe(true);
    expect(secret).toMatchObject({ tenantId: 'acme', name: 'stripe.token', dataKeyVersion: 1 });
    expect(secret).not.toHaveProperty('ciphertext');
    expect(await vault.reveal('acme', 'stripe.token')).toBe('sk_live_very_secret');
    const stored = await store.secrets.getSecret('acme', 'stripe.token');
    expect(stored!.ciphertext).not.toContain('sk_live');
    expect(Buffer.from(stored!.ciphertext, 'base64').toString('latin1')).not.toContain('sk_live');
    const [dataKey] = await store.secrets.listDataKeys('acme');
    expect(dataKey).toMatchObject({ tenantId: 'acme', version: 1, masterKeyId: 'v1' });
  });

  it('keeps tenants apart and binds each ciphertext to its tenant and name', async () => {
    const store = new InMemoryExecutionStore();
    const vault = vaultOf(store, key());
    await vault.set('a', 'token', 'value-of-a');
    expect(await vault.reveal('b', 'token')).toBeNull();
    await expect(vault.require('b', 'token')).rejects.toBeInstanceOf(SecretNotFoundError);
    const stolen = (await store.secrets.getSecret('a', 'token'))!;
    // The same ciphertext under another name, or copied to another tenant, does not decrypt.
    await store.secrets.putSecret({ ...stolen, name: 'other' });
    await expect(vault.reveal('a', 'other')).rejects.toThrow();
    await vault.set('b', 'seed', 'x'); // tenant b gets its own data key
    await store.secrets.putSecret({ ...stolen, tenantId: 'b' });
    await expect(vault.reveal('b', 'token')).rejects.toThrow();
  });

  it('re-wraps data keys on master-key rotation while old and new processes read', async () => {
    const store = new InMemoryExecutionStore();
    const oldKey = key();
    const newKey = key();
    const before = vaultOf(store, `v1:${oldKey}`);
    await before.set('a', 'one', 'first');
    await before.set('b', 'two', 'second');
    const after = vaultOf(store, `v2:${newKey},v1:${oldKey}`);
    expect(await after.reveal('a', 'one')).toBe('first');
    expect(await after.rotate({ batchSize: 1 })).toEqual({ rewrapped: 2 });
    expect(await after.rotate()).toEqual({ rewrapped: 0 });
    expect(await store.secrets.listDataKeysNotWrappedBy('v2', 10)).toEqual([]);
    // A process that was given only the new key reads everything.
    const onlyNew = vaultOf(store, `v2:${newKey}`);
    expect(await onlyNew.reveal('b', 'two')).toBe('second');
    // A process that still runs with only the old key keeps its cached data keys.
    expect(await before.reveal('a', 'one')).toBe('first');
    // A fresh process with only the old key cannot unwrap, and says which key it lacks.
    await expect(vaultOf(store, `v1:${oldKey}`).reveal('a', 'one')).rejects.toThrow(/'v2'/);
  });

  it('creates one data key when two writers start a tenant at once', async () => {
    const store = new InMemoryExecutionStore();
    const master = key();
    const [x, y] = [vaultOf(store, master), vaultOf(store, master)];
    await Promise.all([x.set('t', 'a', '1'), y.set('t', 'b', '2')]);
    expect(await store.secrets.listDataKeys('t')).toHaveLength(1);
    expect(await y.reveal('t', 'a')).toBe('1');
    expect(await x.reveal('t', 'b')).toBe('2');
  });

  it('uses a new data key after rotateDataKey and still reads old values', async () => {
    const store = new InMemoryExecutionStore();
    const vault = vaultOf(store, key());
    await vault.set('t', 'old', 'o');
    expect(await vault.rotateDataKey('t')).toBe(2);
    const { secret } = await vault.set('t', 'new', 'n');
    expect(secret.dataKeyVersion).toBe(2);
    expect(await vault.reveal('t', 'old')).toBe('o');
    expect(await vault.reveal('t', 'new')).toBe('n');
  });

  it('refuses bad names, values and master keys', async () => {
    const store = new InMemoryExecutionStore();
    const vault = vaultOf(store, key());
    await expect(vault.set('t', '../x', 'v')).rejects.toThrow(/secret name/);
    await expect(vault.set('t', 'x', '')).rejects.toThrow(/non-empty/);
    await expect(vault.set('t', 'x', 'a'.repeat(64 * 1024 + 1))).rejects.toThrow(/at most/);
    expect(() => parseMasterKeys('v1:short')).toThrow(/master key #1/);
    expect(() => parseMasterKeys(`a:${key()},a:${key()}`)).toThrow(/twice/);
    expect(() => parseMasterKeys('')).toThrow(/no master key/);
    expect(parseMasterKeys(randomBytes(32).toString('hex'))[0]!.id).toBe('v1');
  });
});
