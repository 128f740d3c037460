import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  type INodeExecutor,
  InvalidArgumentError,
  NodeRegistry,
  NodeTypeAlreadyRegisteredError,
  NodeTypeNotRegisteredError,
  type NodeTypeOptions,
  nodeTypeInfo,
} from '../src/index.js';

const executor: INodeExecutor = { execute: async () => ({ success: true }) };

describe('NodeRegistry', () => {
  it('registers, gets and lists types in registration order', () => {
    const other: INodeExecutor = { execute: async () => ({ success: false }) };
    const r = new NodeRegistry();
    expect(r.types()).toEqual([]);
    expect(r.register('http', executor)).toBe(r);
    r.register('acme:mail/send.v2', other, { concurrency: 2 });
    expect(r.types()).toEqual(['http', 'acme:mail/send.v2']);
    expect(r.has('http')).toBe(true);
    expect(r.has('nope')).toBe(false);
    expect(r.get('http')).toBe(executor);
    expect(r.get('acme:mail/send.v2')).toBe(other);
    expect(r.getRegistration('http')).toEqual({ type: 'http', executor, options: {}, checks: {} });
    expect(r.getRegistration('acme:mail/send.v2').options).toEqual({ concurrency: 2 });
  });

  it('copies and freezes the options', () => {
    const options: NodeTypeOptions = {
      concurrency: 3,
      timeoutMs: 1000,
      rateLimit: { max: 10, durationMs: 1000 },
      retry: { attempts: 5, backoff: { type: 'exponential', delayMs: 100, maxDelayMs: 1000 } },
    };
    const r = new NodeRegistry().register('t', executor, options);
    const reg = r.getRegistration('t');
    expect(reg.options).toEqual(options);
    expect(reg.options).not.toBe(options);
    expect(Object.isFrozen(reg.options)).toBe(true);
    options.concurrency = 99;
    expect(reg.options.concurrency).toBe(3);
  });

  it('throws NodeTypeNotRegisteredError for an unknown type', () => {
    const r = new NodeRegistry();
    for (const call of [() => r.get('ghost'), () => r.getRegistration('ghost')]) {
      try {
        call();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(NodeTypeNotRegisteredError);
        expect((e as NodeTypeNotRegisteredError).nodeType).toBe('ghost');
        expect((e as NodeTypeNotRegisteredError).code).toBe('NODE_TYPE_NOT_REGISTERED');
      }
    }
  });

  it('throws NodeTypeAlreadyRegisteredError on a second registration and keeps the first', () => {
    const r = new NodeRegistry().register('t', executor);
    expect(() => r.register('t', { execute: async () => ({ success: true }) })).toThrow(
      NodeTypeAlreadyRegisteredError,
    );
    expect(r.get('t')).toBe(executor);
    expect(r.types()).toEqual(['t']);
  });

  it('keeps registries independent', () => {
    const a = new NodeRegistry().register('t', executor);
    const b = new NodeRegistry();
    expect(a.has('t')).toBe(true);
    expect(b.has('t')).toBe(false);
  });

  it('rejects bad type names with InvalidArgumentError', () => {
    const r = new NodeRegistry();
    const weird = [Object.create(null), { toString: '' }, Symbol('s'), ['a']];
    for (const type of [
      '',
      'has space',
      'ü',
      'x'.repeat(129),
      'a?b',
      42,
      null,
      undefined,
      ...weird,
    ]) {
      expect(() => r.register(type as string, executor), typeof type).toThrow(InvalidArgumentError);
    }
    expect(() => r.register('x'.repeat(128), executor)).not.toThrow();
    expect(r.types()).toEqual(['x'.repeat(128)]);
  });

  it('rejects an executor without execute()', () => {
    const r = new NodeRegistry();
    for (const bad of [null, undefined, {}, { execute: 'no' }, 'fn']) {
      expect(() => r.register('t', bad as unknown as INodeExecutor)).toThrow(InvalidArgumentError);
    }
    expect(r.has('t')).toBe(false);
  });

  it('rejects bad options with InvalidArgumentError and registers nothing', () => {
    const bad: unknown[] = [
      { concurrency: 0 },
      { concurrency: -1 },
      { concurrency: 1.5 },
      { concurrency: Number.NaN },
      { concurrency: '2' },
      { concurrency: Object.create(null) },
      { timeoutMs: { toString: 1 } },
      { timeoutMs: 0 },
      { timeoutMs: Number.POSITIVE_INFINITY },
      { rateLimit: { max: 0, durationMs: 1000 } },
      { rateLimit: { max: 1, durationMs: -5 } },
      { rateLimit: { max: 1 } },
      { rateLimit: {} },
      { rateLimit: 5 },
      { retry: { attempts: 0 } },
      { retry: { attempts: 2.5 } },
      { retry: {} },
      { retry: { attempts: 2, backoff: { type: 'linear', delayMs: 10 } } },
      { retry: { attempts: 2, backoff: { type: 'fixed', delayMs: -1 } } },
    ];
    const r = new NodeRegistry();
    for (const options of bad) {
      expect(
        () => r.register('t', executor, options as NodeTypeOptions),
        JSON.stringify(options),
      ).toThrow(InvalidArgumentError);
    }
    expect(r.has('t')).toBe(false);
  });

  it('compiles the config, input and output schemas once, at registration', () => {
    const config = Type.Object({ to: Type.String() }, { additionalProperties: false });
    const output = { type: 'object', required: ['sent'] };
    const r = new NodeRegistry().register('mail', executor, {
      description: 'Sends a mail',
      config,
      output,
    });
    const { checks, options } = r.getRegistration('mail');
    expect(options).toMatchObject({ description: 'Sends a mail', config, output });
    expect(checks.input).toBeUndefined();
    expect(Object.isFrozen(checks)).toBe(true);
    expect(checks.config?.problems({ to: 'a' })).toEqual([]);
    expect(checks.config?.problems({ too: 'a' })).toEqual([
      { path: '', message: "'to' is required" },
      { path: '/too', message: "unknown option 'too'" },
    ]);
    expect(checks.output?.problems({})).toEqual([{ path: '', message: "'sent' is required" }]);
    expect(checks.output?.problems(null)).toEqual([
      { path: '', message: 'output must be an object' },
    ]);
  });

  it('refuses a schema that does not compile, naming the type and the schema', () => {
    const r = new NodeRegistry();
    for (const part of ['config', 'input', 'output'] as const) {
      expect(() => r.register('t', executor, { [part]: { type: 'objekt' } })).toThrow(
        new RegExp(`^${part} schema of node type 't' is not a valid JSON Schema`),
      );
      expect(() => r.register('t', executor, { [part]: 'string' as never })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => r.register('t', executor, { description: 5 as never })).toThrow(
      "description of 't' must be a string",
    );
    expect(r.has('t')).toBe(false);
  });
});

describe('nodeTypeInfo', () => {
  it('is a plain JSON copy of the catalogue fields', () => {
    const config = Type.Object({ n: Type.Integer({ minimum: 1 }) });
    const info = nodeTypeInfo('count', { config, concurrency: 2, description: 'Counts' }, false);
    expect(info).toEqual({
      type: 'count',
      builtIn: false,
      description: 'Counts',
      config: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: 1 } },
        required: ['n'],
      },
      concurrency: 2,
    });
    expect(Object.getOwnPropertySymbols(info.config ?? {})).toEqual([]);
    expect(info.config).not.toBe(config);
    expect(nodeTypeInfo('delay', {}, true)).toEqual({ type: 'delay', builtIn: true });
  });
});
