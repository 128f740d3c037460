import { describe, expect, it } from 'vitest';
import {
  compileJsonSchema,
  definitionSecretRefs,
  findSecretRefs,
  HttpNodeConfigSchema,
  isSecretRef,
  replaceSecretRefs,
  validateWorkflow,
} from '../src/index.js';
import { node, workflow } from './helpers.js';

const words = { root: 'config', key: 'option' } as const;
const http = compileJsonSchema(HttpNodeConfigSchema, { label: 'http', words });
/** A custom type whose schema knows nothing of references. */
const custom = compileJsonSchema(
  {
    type: 'object',
    properties: {
      token: { type: 'string', minLength: 3 },
      count: { type: 'integer' },
      nested: { type: 'object', properties: { key: { type: 'string' } } },
    },
    additionalProperties: false,
  },
  { label: 'custom', words },
);
const nodeConfigCheck = (t: string) => (t === 'http' ? http : t === 'custom' ? custom : undefined);

function issues(def: unknown, secretsAvailable?: boolean) {
  return validateWorkflow(def, { nodeConfigCheck, secretsAvailable }).issues.map(
    ({ path, code }) => ({ path, code }),
  );
}

describe('secret references', () => {
  it('isSecretRef: exactly one key $secret with a valid name', () => {
    expect(isSecretRef({ $secret: 'api.key_1-x' })).toBe(true);
    for (const bad of [
      { $secret: 5 },
      { $secret: '' },
      { $secret: 'has space' },
      { $secret: 'a'.repeat(129) },
      { $secret: 'a', other: 1 },
      ['a'],
      'a',
      null,
    ]) {
      expect(isSecretRef(bad)).toBe(false);
    }
  });

  it('findSecretRefs and replaceSecretRefs: any depth, JSON pointers, the original kept', () => {
    const config = Object.freeze({
      headers: Object.freeze({ 'a/b': Object.freeze({ $secret: 'k1' }), plain: 'x' }),
      list: Object.freeze([1, Object.freeze({ deep: Object.freeze({ $secret: 'k2' }) })]),
      bad: { $secret: 'ok', extra: true },
    });
    const scan = findSecretRefs(config);
    expect(scan.refs).toEqual([
      { path: '/headers/a~1b', name: 'k1' },
      { path: '/list/1/deep', name: 'k2' },
    ]);
    expect(scan.malformed.map((m) => m.path)).toEqual(['/bad']);
    const resolved = replaceSecretRefs(config, scan.refs, (n) => `value-of-${n}`) as any;
    expect(resolved.headers).toEqual({ 'a/b': 'value-of-k1', plain: 'x' });
    expect(resolved.list).toEqual([1, { deep: 'value-of-k2' }]);
    expect(config.headers['a/b']).toEqual({ $secret: 'k1' });
  });

  it('findSecretRefs survives deep nesting and throwing getters', () => {
    let deep: unknown = { $secret: 'x' };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(findSecretRefs(deep).refs).toEqual([]);
    const hostile = {
      get boom() {
        throw new Error('no');
      },
    };
    expect(findSecretRefs(hostile)).toEqual({ refs: [], malformed: [] });
  });

  it('built-in http schema accepts a reference as url, header value and inside body', () => {
    const def = workflow([
      node('a', {
        type: 'http',
        config: {
          url: { $secret: 'url' },
          headers: { authorization: { $secret: 'token' }, accept: 'application/json' },
          body: { nested: [{ $secret: 'b' }] },
        },
      }),
    ]);
    expect(issues(def)).toEqual([]);
    expect(definitionSecretRefs(def).map((r) => r.path)).toEqual([
      '/nodes/0/config/url',
      '/nodes/0/config/headers/authorization',
      '/nodes/0/config/body/nested/0',
    ]);
  });

  it('webhook trigger secret: literal or reference; malformed → one INVALID_SECRET_REF at its path', () => {
    const hook = (secret: unknown) =>
      workflow([node('a')], { triggers: [{ type: 'webhook', path: 'h', secret } as never] });
    expect(issues(hook('literal'))).toEqual([]);
    expect(issues(hook({ $secret: 'hook' }))).toEqual([]);
    for (const bad of [{ $secret: 5 }, { $secret: 'x', y: 1 }, { $secret: 'bad name' }]) {
      expect(issues(hook(bad))).toEqual([
        { path: '/triggers/0/secret', code: 'INVALID_SECRET_REF' },
      ]);
    }
    const [issue] = validateWorkflow(hook({ $secret: 5 })).issues;
    expect(issue?.message).toMatch(/exactly \{ "\$secret": "<name>" \}.*must be a string/);
  });

  it('malformed references in node configs: INVALID_SECRET_REF at the path, no schema repeat', () => {
    const def = workflow([
      node('a', { type: 'http', config: { url: 'https://x', headers: { h: { $secret: 5 } } } }),
      node('b', { type: 'custom', config: { token: { $secret: 'ok', more: 1 } } }),
      node('c', { config: { anything: { deep: { $secret: '' } } } }),
      node('d', { type: 'custom', config: { $secret: 'whole' } as never }),
    ]);
    expect(issues(def)).toEqual([
      { path: '/nodes/0/config/headers/h', code: 'INVALID_SECRET_REF' },
      { path: '/nodes/1/config/token', code: 'INVALID_SECRET_REF' },
      { path: '/nodes/2/config/anything/deep', code: 'INVALID_SECRET_REF' },
      { path: '/nodes/3/config', code: 'INVALID_SECRET_REF' },
    ]);
  });

  it('custom schemas are checked with each reference as the string "[secret]"', () => {
    const ok = workflow([node('a', { type: 'custom', config: { token: { $secret: 't' } } })]);
    expect(issues(ok)).toEqual([]);
    const nested = workflow([
      node('a', { type: 'custom', config: { nested: { key: { $secret: 't' } } } }),
    ]);
    expect(issues(nested)).toEqual([]);
    // Where the schema wants an integer, a reference (a string at run time) is refused.
    const notString = workflow([
      node('a', { type: 'custom', config: { count: { $secret: 'n' } } }),
    ]);
    expect(issues(notString)).toEqual([
      { path: '/nodes/0/config/count', code: 'INVALID_NODE_CONFIG' },
    ]);
  });

  it('without secrets every reference is SECRETS_DISABLED; literals are fine', () => {
    const def = workflow(
      [node('a', { type: 'http', config: { url: 'https://x', headers: { h: { $secret: 'k' } } } })],
      { triggers: [{ type: 'webhook', path: 'h', secret: { $secret: 'w' } }] },
    );
    expect(issues(def, false)).toEqual([
      { path: '/nodes/0/config/headers/h', code: 'SECRETS_DISABLED' },
      { path: '/triggers/0/secret', code: 'SECRETS_DISABLED' },
    ]);
    const [first] = validateWorkflow(def, { secretsAvailable: false }).issues;
    expect(first?.message).toMatch(/secret 'k' is referenced, but secrets are not configured/);
    const literal = workflow([node('a')], {
      triggers: [{ type: 'webhook', path: 'h', secret: 's' }],
    });
    expect(issues(literal, false)).toEqual([]);
  });
});
