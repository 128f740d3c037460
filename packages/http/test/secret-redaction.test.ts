import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  looksSecretKey,
  REDACTED,
  redactDefinition,
  redactSecrets,
} from '../src/secret-redaction.js';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

/**
 * Definitions as keys without `admin` see them: credentials pasted into node configs and
 * webhook secrets read "[secret]"; everything else, and `{ "$secret": name }`, unchanged.
 */

describe('looksSecretKey', () => {
  it.each([
    'secret',
    'clientSecret',
    'webhook_secret',
    'token',
    'access_token',
    'refreshToken',
    'password',
    'db.password',
    'passwd',
    'passphrase',
    'Authorization',
    'authorization',
    'apiKey',
    'api_key',
    'X-Api-Key',
    'accessKeyId',
    'credentials',
    'private_key',
    'privateKey',
    'Cookie',
    'set-cookie',
    'signature',
    'bearer',
    'SESSION_ID',
  ])('%s looks secret', (key) => {
    expect(looksSecretKey(key)).toBe(true);
  });

  it.each(['url', 'method', 'body', 'headers', 'author', 'path', 'timeoutMs', 'name', 'value'])(
    '%s does not',
    (key) => {
      expect(looksSecretKey(key)).toBe(false);
    },
  );
});

describe('redactSecrets', () => {
  it('replaces strings and numbers under secret keys, at any depth, and keeps the rest', () => {
    const config = {
      url: 'https://api.example.com/v1',
      method: 'POST',
      headers: { Authorization: 'Bearer abc', 'content-type': 'application/json', 'X-Api-Key': 7 },
      body: { user: 'ada', password: 'hunter2', nested: [{ token: 'xyz', keep: 1 }] },
      credentials: { user: 'ada', pass: 'p', port: 5432, tls: true, ca: null },
      tokens: ['a', 'b'],
    };
    expect(redactSecrets(config)).toEqual({
      url: 'https://api.example.com/v1',
      method: 'POST',
      headers: {
        Authorization: REDACTED,
        'content-type': 'application/json',
        'X-Api-Key': REDACTED,
      },
      body: { user: 'ada', password: REDACTED, nested: [{ token: REDACTED, keep: 1 }] },
      credentials: { user: REDACTED, pass: REDACTED, port: REDACTED, tls: true, ca: null },
      tokens: [REDACTED, REDACTED],
    });
    // The input is not changed.
    expect(config.headers.Authorization).toBe('Bearer abc');
  });

  it('keeps { "$secret": name } references, even under a secret key', () => {
    const config = {
      headers: { authorization: { $secret: 'crm-token' } },
      apiKey: { $secret: 'stripe' },
    };
    expect(redactSecrets(config)).toEqual(config);
    // An object that only starts like a reference is not one.
    expect(redactSecrets({ token: { $secret: 'x', extra: 'leak' } })).toEqual({
      token: { $secret: REDACTED, extra: REDACTED },
    });
  });

  it('redacts the value of { name|key, value } pairs whose name looks secret', () => {
    const headers = [
      { name: 'Authorization', value: 'Bearer abc' },
      { key: 'x-api-key', value: 'k' },
      { name: 'Accept', value: 'application/json' },
    ];
    expect(redactSecrets({ headers })).toEqual({
      headers: [
        { name: 'Authorization', value: REDACTED },
        { key: 'x-api-key', value: REDACTED },
        { name: 'Accept', value: 'application/json' },
      ],
    });
  });

  it("replaces a URL's password, anywhere", () => {
    expect(redactSecrets({ url: 'postgres://app:s3cret@db.internal:5432/x' })).toEqual({
      url: `postgres://app:${encodeURIComponent(REDACTED)}@db.internal:5432/x`,
    });
    expect(redactSecrets('https://user@example.com/')).toBe('https://user@example.com/');
  });
});

describe('redactDefinition', () => {
  const definition = {
    id: 'hooked',
    name: 'Hooked',
    nodes: [
      {
        id: 'call',
        type: 'http',
        config: { url: 'https://x.example', headers: { authorization: 'Bearer live' } },
        metadata: { apiKey: 'k1' },
        retry: { attempts: 3 },
      },
    ],
    triggers: [
      { type: 'webhook', path: 'in', secret: 'whsec_live' },
      { type: 'webhook', path: 'ref', secret: { $secret: 'hook' } },
      { type: 'schedule', cron: '* * * * *', initialData: { token: 't' } },
    ],
    metadata: { owner: 'ops', signature: 's' },
  };

  it('redacts configs, metadata, schedule inputs and webhook secrets; keeps the shape', () => {
    expect(redactDefinition(definition)).toEqual({
      ...definition,
      nodes: [
        {
          ...definition.nodes[0],
          config: { url: 'https://x.example', headers: { authorization: REDACTED } },
          metadata: { apiKey: REDACTED },
        },
      ],
      triggers: [
        { type: 'webhook', path: 'in', secret: REDACTED },
        { type: 'webhook', path: 'ref', secret: { $secret: 'hook' } },
        { type: 'schedule', cron: '* * * * *', initialData: { token: REDACTED } },
      ],
      metadata: { owner: 'ops', signature: REDACTED },
    });
    expect(definition.triggers[0]).toMatchObject({ secret: 'whsec_live' });
  });
});

describe('read routes', () => {
  let h: HttpHarness;
  const LIVE = 'Bearer live-token-do-not-show';
  const HOOK = 'whsec_do-not-show';
  const def = wf(
    'leaky',
    [{ id: 'a', type: 'echo', config: { headers: { authorization: LIVE } } }],
    {
      triggers: [{ type: 'webhook', path: 'leaky', secret: HOOK }],
    },
  );

  beforeAll(async () => {
    h = await createHttpHarness({ workers: false });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: bearer(KEYS.adminA),
      payload: def,
    });
    expect(res.statusCode, res.body).toBe(201);
    // The admin's own answer to the registration is not redacted.
    expect(res.body).toContain(HOOK);
  });
  afterAll(async () => {
    await h?.close();
  });

  const urls = ['/api/workflows', '/api/workflows/leaky', '/api/workflows/leaky/versions'];

  it.each(urls)('%s shows a read key "[secret]" instead of the values', async (url) => {
    const res = await h.app.inject({ url, headers: bearer(KEYS.readA) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(LIVE);
    expect(res.body).not.toContain(HOOK);
    const body = res.json();
    const stored = body.items ? body.items[0] : body;
    expect(stored.definition.nodes[0].config.headers.authorization).toBe(REDACTED);
    expect(stored.definition.triggers[0].secret).toBe(REDACTED);
    expect(stored.definition.triggers[0].path).toBe('leaky');
  });

  it.each(urls)('%s shows an admin key the definition as registered', async (url) => {
    const res = await h.app.inject({ url, headers: bearer(KEYS.adminA) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const stored = body.items ? body.items[0] : body;
    expect(stored.definition).toEqual(def);
  });
});
