import { describe, expect, it } from 'vitest';
import { noopNode, switchNode, transformNode } from '../src/index.js';
import { nodeContext } from './support/node-context.js';

describe('noop', () => {
  it('returns its input', async () => {
    expect(await noopNode.execute(nodeContext({}, { a: [1, 2] }))).toEqual({
      success: true,
      data: { a: [1, 2] },
    });
  });
});

describe('transform', () => {
  const input = {
    user: { id: 7, name: 'Ada', email: 'ada@example.com', tags: ['x', 'y'] },
    order: { total: 42, items: [{ sku: 'a' }, { sku: 'b' }] },
    secret: 'drop me',
  };
  const run = async (config: Record<string, unknown>, data: unknown = input) =>
    (await transformNode.execute(nodeContext(config, data))).data;

  it('picks dotted paths, keeping their nesting and array indexes', async () => {
    expect(
      await run({ pick: ['user.name', 'order.total', 'order.items.1.sku', 'missing.path'] }),
    ).toEqual({ user: { name: 'Ada' }, order: { total: 42, items: { 1: { sku: 'b' } } } });
  });

  it('renames, then sets, in that order after pick', async () => {
    expect(
      await run({
        pick: ['user.name', 'user.email', 'order.total'],
        rename: { 'user.name': 'customer.name', 'order.total': 'amount', absent: 'nowhere' },
        set: { 'meta.source': 'spane', amount: 43, 'customer.vip': true },
      }),
    ).toEqual({
      user: { email: 'ada@example.com' },
      order: {},
      customer: { name: 'Ada', vip: true },
      amount: 43,
      meta: { source: 'spane' },
    });
  });

  it('leaves the input untouched and copies set values', async () => {
    const value = { nested: { n: 1 } };
    const ctx = nodeContext({ set: { 'user.extra': value }, rename: { secret: 'hidden' } }, input);
    const out = (await transformNode.execute(ctx)).data as any;
    expect(input.secret).toBe('drop me');
    expect(out.hidden).toBe('drop me');
    out.user.extra.nested.n = 2;
    expect(value.nested.n).toBe(1);
  });

  it('keeps null values and an empty config is the identity', async () => {
    expect(await run({ pick: ['a'] }, { a: null, b: 1 })).toEqual({ a: null });
    expect(await run({})).toEqual(input);
  });

  it.each([
    [
      'a reserved key in a path',
      { set: { '__proto__.polluted': true } },
      /reserved key '__proto__'/,
    ],
    [
      'constructor.prototype',
      { rename: { 'user.name': 'constructor.prototype.x' } },
      /reserved key/,
    ],
    ['an empty segment', { pick: ['user..name'] }, /empty segment/],
    ['pick that is no list', { pick: 'user' }, /config.pick must be an array/],
    ['rename to a non-string', { rename: { a: 1 } }, /config.rename must map paths/],
    ['set through a scalar', { set: { 'secret.inner': 1 } }, /'secret' is not an object/],
  ])('refuses %s (non-retryable)', async (_name, config, message) => {
    await expect(transformNode.execute(nodeContext(config, input))).rejects.toMatchObject({
      code: 'NON_RETRYABLE',
      message: expect.stringMatching(message),
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fails fast, saying why, on a set path that would grow an array to 100 million slots', async () => {
    const started = performance.now();
    await expect(
      transformNode.execute(nodeContext({ set: { 'arr.99999999': 1 } }, { arr: [] })),
    ).rejects.toThrow(/index 99999999 is past the end of the array \(0 items\) and above 10000/);
    await expect(
      transformNode.execute(nodeContext({ rename: { a: 'arr.20000' } }, { a: 1, arr: [] })),
    ).rejects.toThrow(/index 20000 is past the end of the array/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses rename and set on a scalar input', async () => {
    await expect(transformNode.execute(nodeContext({ set: { a: 1 } }, 'text'))).rejects.toThrow(
      /need an object or array input/,
    );
  });
});

describe('switch', () => {
  const config = {
    path: 'input.order.status',
    cases: { paid: ['ship'], '404': ['notFound'], true: ['yes'], null: ['nothing'] },
    default: ['review'],
  };
  const route = async (status: unknown, cfg: Record<string, unknown> = config) =>
    switchNode.execute(nodeContext(cfg, { order: { status } }));

  it('selects the matching case and passes its input through', async () => {
    expect(await route('paid')).toEqual({
      success: true,
      data: { order: { status: 'paid' } },
      nextNodes: ['ship'],
    });
  });

  it('compares values as strings', async () => {
    expect((await route(404)).nextNodes).toEqual(['notFound']);
    expect((await route(true)).nextNodes).toEqual(['yes']);
    expect((await route(null)).nextNodes).toEqual(['nothing']);
  });

  it('falls back to default, else to no child at all', async () => {
    expect((await route('refunded')).nextNodes).toEqual(['review']);
    expect((await route(undefined)).nextNodes).toEqual(['review']);
    const { default: _d, ...noDefault } = config;
    expect((await route('refunded', noDefault)).nextNodes).toEqual([]);
  });

  it('never matches inherited keys', async () => {
    expect((await route('toString')).nextNodes).toEqual(['review']);
  });

  it("reads the whole input with path 'input'", async () => {
    const out = await switchNode.execute(
      nodeContext({ path: 'input', cases: { go: ['a'] } }, 'go'),
    );
    expect(out.nextNodes).toEqual(['a']);
  });

  it.each([
    [
      'a path outside input',
      { path: 'status', cases: {} },
      /must be 'input' or start with 'input.'/,
    ],
    ['cases that are no object', { path: 'input', cases: ['a'] }, /config.cases must map/],
    ['a case that is no list', { path: 'input', cases: { a: 'b' } }, /config.cases\['a'\]/],
    ['a default that is no list', { path: 'input', cases: {}, default: 'x' }, /config.default/],
  ])('refuses %s', async (_name, cfg, message) => {
    await expect(switchNode.execute(nodeContext(cfg, {}))).rejects.toThrow(message);
  });
});
