import { describe, expect, it } from 'vitest';
import { HIDDEN, redact } from '../src/app/model/redact.js';

describe('redact', () => {
  it('hides values under credential-looking keys, at any depth', () => {
    const config = {
      url: 'https://api.example.com',
      apiKey: 'sk-live-123',
      auth: { client_secret: 'cs', clientId: 'public-id' },
      headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k', Accept: 'application/json' },
      nested: { deeper: { db: { password: 'hunter2', 'access.key': 'ak', host: 'db' } } },
    };
    expect(redact(config)).toEqual({
      url: 'https://api.example.com',
      apiKey: HIDDEN,
      auth: { client_secret: HIDDEN, clientId: 'public-id' },
      headers: { Authorization: HIDDEN, 'X-Api-Key': HIDDEN, Accept: 'application/json' },
      nested: { deeper: { db: { password: HIDDEN, 'access.key': HIDDEN, host: 'db' } } },
    });
    expect(HIDDEN).toBe('[secret]');
  });

  it('hides a whole object or number under a secret key', () => {
    expect(redact({ credentials: { user: 'u', pass: 'p' }, token: 12345 })).toEqual({
      credentials: HIDDEN,
      token: HIDDEN,
    });
  });

  it('keeps { $secret: name } references, at the top, under a secret key or elsewhere', () => {
    const config = {
      apiKey: { $secret: 'openai' },
      headers: { Authorization: { $secret: 'auth-header' } },
      list: [{ $secret: 'in-list' }],
    };
    expect(redact(config)).toEqual(config);
    expect(redact({ $secret: 'top' })).toEqual({ $secret: 'top' });
  });

  it('does not take an object with $secret and other keys for a reference', () => {
    // Not a reference (the engine would not resolve it): under a secret key it is hidden whole.
    expect(redact({ password: { $secret: 'x', value: 'hunter2' } })).toEqual({
      password: HIDDEN,
    });
  });

  it('goes through arrays', () => {
    expect(
      redact([{ token: 't' }, 'plain', [{ secretValue: 's', name: 'n' }], { $secret: 'ref' }]),
    ).toEqual([
      { token: HIDDEN },
      'plain',
      [{ secretValue: HIDDEN, name: 'n' }],
      { $secret: 'ref' },
    ]);
    expect(redact({ tokens: ['a', 'b'] })).toEqual({ tokens: HIDDEN });
  });

  it('leaves other keys and values as they are', () => {
    const config = {
      method: 'POST',
      timeoutMs: 5000,
      retry: { attempts: 3, enabled: true },
      body: null,
      tags: ['a', 'b'],
      author: 'ada',
      keyName: 'id',
    };
    expect(redact(config)).toEqual(config);
    expect(redact('text')).toBe('text');
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
  });

  it('does not change its input', () => {
    const config = {
      apiKey: 'k',
      headers: { Authorization: 'Bearer x' },
      list: [{ password: 'p' }],
    };
    const before = structuredClone(config);
    const out = redact(config);
    expect(config).toEqual(before);
    expect(out).not.toBe(config);
  });

  it('hides secrets as deep as a definition may nest (100 levels)', () => {
    let deep: unknown = { token: 'leaf' };
    for (let i = 0; i < 98; i++) deep = { next: deep };
    let out = redact(deep) as { next?: unknown; token?: unknown };
    while (out.next) out = out.next as typeof out;
    expect(out).toEqual({ token: HIDDEN });
  });

  it('stops at a depth limit instead of overflowing the stack', () => {
    let deep: unknown = { token: 'leaf' };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    expect(() => redact(deep)).not.toThrow();
  });
});

describe('name/value pairs', () => {
  it('hides the value of a pair whose name or key looks like a credential', () => {
    const headers = [
      { name: 'Authorization', value: 'Bearer abc' },
      { key: 'X-Api-Key', value: 'k-123' },
      { name: 'Accept', value: 'application/json' },
      { name: 'Cookie', value: { $secret: 'session' } },
    ];
    expect(redact({ headers })).toEqual({
      headers: [
        { name: 'Authorization', value: HIDDEN },
        { key: 'X-Api-Key', value: HIDDEN },
        { name: 'Accept', value: 'application/json' },
        { name: 'Cookie', value: { $secret: 'session' } },
      ],
    });
  });
});
