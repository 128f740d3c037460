import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ApiKeyStore, hasScope } from '../src/index.js';

const KEY = 'abcdefghijklmnop-0001';

describe('ApiKeyStore', () => {
  it('parses key:tenant:scope+scope entries and authenticates keys', () => {
    const store = ApiKeyStore.parse(
      ` ${KEY}:acme:read+execute , other-key-000000001:globex:admin,`,
    );
    expect(store.size).toBe(2);
    expect(store.authenticate(KEY)).toEqual({ tenantId: 'acme', scopes: ['read', 'execute'] });
    expect(store.authenticate('other-key-000000001')).toEqual({
      tenantId: 'globex',
      scopes: ['admin'],
    });
    expect(store.authenticate('abcdefghijklmnop-0002')).toBeNull();
    expect(store.authenticate('')).toBeNull();
  });

  it('keeps no key in memory in clear', () => {
    const store = ApiKeyStore.parse([`${KEY}:acme:read`]);
    expect(inspect(store, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(store)).not.toContain(KEY);
  });

  it.each([
    ['missing parts', `${KEY}:acme`, /entry #1 must look like/],
    ['short key', 'short:acme:read', /16 to 512 characters/],
    ['bad characters', 'abcdefghijklmnop q:acme:read', /may use only/],
    ['bad tenant', `${KEY}:ac me:read`, /tenant/],
    ['unknown scope', `${KEY}:acme:write`, /unknown scope 'write'/],
    ['no scope', `${KEY}:acme:`, /unknown scope ''/],
    ['duplicate key', `${KEY}:acme:read,${KEY}:globex:read`, /entry #2: the same key/],
  ])('refuses %s without echoing the key', (_name, spec, message) => {
    let error: Error | undefined;
    try {
      ApiKeyStore.parse(spec);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(KEY);
  });

  it('lets admin imply every scope, and nothing else imply another', () => {
    expect(hasScope({ tenantId: 't', scopes: ['admin'] }, 'execute')).toBe(true);
    expect(hasScope({ tenantId: 't', scopes: ['admin'] }, 'read')).toBe(true);
    expect(hasScope({ tenantId: 't', scopes: ['execute'] }, 'read')).toBe(false);
    expect(hasScope({ tenantId: 't', scopes: ['read'] }, 'execute')).toBe(false);
  });
});
