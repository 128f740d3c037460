import { describe, expect, it } from 'vitest';
import {
  compileWorkflow,
  type INodeExecutor,
  InvalidArgumentError,
  MAX_PATH_INDEX,
  MAX_TIMEOUT_MS,
  MAX_WORKFLOW_TIMEOUT_MS,
  NodeRegistry,
  type NodeTypeOptions,
  nodeTypeInfo,
  readablePathProblem,
  retryDelayMs,
  SwitchNodeConfigSchema,
  switchConfigProblems,
  TransformNodeConfigSchema,
  transformConfigProblems,
  validateWorkflow,
  WorkflowValidationError,
} from '../src/index.js';
import { node, workflow } from './helpers.js';

/** Bounds that a registration enforces (issue #18): timeouts, backoffs, ids, transform paths. */

const executor: INodeExecutor = { execute: async () => ({ success: true }) };

function issues(def: unknown, options?: Parameters<typeof validateWorkflow>[1]) {
  return validateWorkflow(def, options).issues.map(({ code, path }) => ({ code, path }));
}

describe('timeouts and backoffs at registration', () => {
  it('refuses a node, defaults or workflow timeoutMs above its maximum, at its pointer', () => {
    const def = workflow([node('a', { timeoutMs: 1e20 }), node('b', { timeoutMs: 2 ** 31 })], {
      defaults: { timeoutMs: 1e20 },
      timeoutMs: 1e20,
    });
    expect(issues(def)).toEqual(
      expect.arrayContaining([
        { code: 'SCHEMA', path: '/nodes/0/timeoutMs' },
        { code: 'SCHEMA', path: '/nodes/1/timeoutMs' },
        { code: 'SCHEMA', path: '/defaults/timeoutMs' },
        { code: 'SCHEMA', path: '/timeoutMs' },
      ]),
    );
    expect(() => compileWorkflow(def)).toThrow(WorkflowValidationError);
  });

  it('accepts each maximum itself', () => {
    const def = workflow(
      [
        node('a', {
          timeoutMs: MAX_TIMEOUT_MS,
          retry: {
            attempts: 2,
            backoff: { type: 'fixed', delayMs: MAX_TIMEOUT_MS, maxDelayMs: MAX_TIMEOUT_MS },
          },
        }),
      ],
      { defaults: { timeoutMs: MAX_TIMEOUT_MS }, timeoutMs: MAX_WORKFLOW_TIMEOUT_MS },
    );
    expect(issues(def)).toEqual([]);
    expect(MAX_TIMEOUT_MS).toBe(2 ** 31 - 1);
  });

  it('refuses retry backoff delayMs and maxDelayMs of 1e300 (node and defaults)', () => {
    const retry = {
      attempts: 3,
      backoff: { type: 'exponential' as const, delayMs: 1e300, maxDelayMs: 1e300 },
    };
    const def = workflow([node('a', { retry })], { defaults: { retry } });
    expect(issues(def)).toEqual(
      expect.arrayContaining([
        { code: 'SCHEMA', path: '/nodes/0/retry/backoff/delayMs' },
        { code: 'SCHEMA', path: '/nodes/0/retry/backoff/maxDelayMs' },
        { code: 'SCHEMA', path: '/defaults/retry/backoff/delayMs' },
        { code: 'SCHEMA', path: '/defaults/retry/backoff/maxDelayMs' },
      ]),
    );
  });

  it('a node type registered with timeoutMs or a backoff above the maximum is refused', () => {
    const r = new NodeRegistry();
    const bad: NodeTypeOptions[] = [
      { timeoutMs: 1e20 },
      { timeoutMs: MAX_TIMEOUT_MS + 1 },
      { retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 1e300 } } },
      { retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 1, maxDelayMs: 1e300 } } },
    ];
    for (const options of bad) {
      expect(() => r.register('t', executor, options), JSON.stringify(options)).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => r.register('t', executor, { timeoutMs: 1e20 })).toThrow(/at most 2147483647/);
    expect(r.has('t')).toBe(false);
    r.register('t', executor, { timeoutMs: MAX_TIMEOUT_MS });
    expect(r.has('t')).toBe(true);
  });

  it('a retry delay never exceeds MAX_TIMEOUT_MS, however many doublings', () => {
    const policy = { attempts: 1000, backoff: { type: 'exponential' as const, delayMs: 1000 } };
    expect(retryDelayMs(policy, 1000)).toBe(MAX_TIMEOUT_MS);
    expect(retryDelayMs(policy, 5)).toBe(8000);
  });
});

describe('ids . and ..', () => {
  it('are reserved as workflow and node ids', () => {
    for (const id of ['.', '..']) {
      expect(issues({ ...workflow([node('a')]), id })).toEqual([
        { code: 'RESERVED_ID', path: '/id' },
      ]);
      expect(issues(workflow([node(id)]))).toEqual([{ code: 'RESERVED_ID', path: '/nodes/0/id' }]);
    }
    expect(issues({ ...workflow([node('...')]), id: '...' })).toEqual([]);
    expect(issues({ ...workflow([node('.a')]), id: 'a..b' })).toEqual([]);
  });
});

describe('transformConfigProblems', () => {
  it('refuses reserved keys, empty segments and indexes above MAX_PATH_INDEX, at their pointers', () => {
    const problems = transformConfigProblems({
      pick: ['ok.1', 'a.__proto__', 'a..b'],
      rename: { 'from.constructor': 'to', fine: 'x.prototype', 'a/b': `c.${MAX_PATH_INDEX + 1}` },
      // JSON.parse: an own "__proto__" key, as a parsed request body has it.
      set: JSON.parse('{"arr.99999999": 1, "__proto__": 2, "ok.10000": 3, "n.007": 4}'),
    });
    expect(problems.map((p) => p.path)).toEqual([
      '/pick/1',
      '/pick/2',
      '/rename/from.constructor',
      '/rename/fine',
      '/rename/a~1b',
      '/set/arr.99999999',
      '/set/__proto__',
    ]);
    expect(problems.find((p) => p.path === '/set/arr.99999999')?.message).toBe(
      "path 'arr.99999999' has the array index 99999999; an index may be at most 10000",
    );
    expect(problems.find((p) => p.path === '/set/__proto__')?.message).toMatch(/reserved key/);
  });

  it('through a node type registered with configProblems, registration reports INVALID_NODE_CONFIG', () => {
    const r = new NodeRegistry().register('transform', executor, {
      config: TransformNodeConfigSchema,
      configProblems: transformConfigProblems,
    });
    const check = r.getRegistration('transform').checks.config;
    const def = workflow([
      node('a', { type: 'transform', config: { set: { 'arr.99999999': 1 } } }),
      node('b', { type: 'transform', config: { rename: { x: 'constructor.y' } } }),
      node('c', { type: 'transform', config: { set: { 'arr.3': 1 } } }),
    ]);
    const result = validateWorkflow(def, { nodeConfigCheck: () => check });
    expect(result.issues).toEqual([
      expect.objectContaining({
        code: 'INVALID_NODE_CONFIG',
        path: '/nodes/0/config/set/arr.99999999',
        message: expect.stringContaining('at most 10000'),
      }),
      expect.objectContaining({ code: 'INVALID_NODE_CONFIG', path: '/nodes/1/config/rename/x' }),
    ]);
    // The schema's own problems come first; configProblems only sees configs that match it.
    expect(check?.problems({ set: 5 }).map((p) => p.path)).toEqual(['/set']);
  });

  it('switchConfigProblems refuses a reserved key in path, at /path, and passes good paths', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(switchConfigProblems({ path: `input.a.${key}`, cases: {} })).toEqual([
        { path: '/path', message: `path 'input.a.${key}' uses the reserved key '${key}'` },
      ]);
    }
    expect(switchConfigProblems({ path: 'input', cases: {} })).toEqual([]);
    expect(switchConfigProblems({ path: 'input.a.0.b', cases: {} })).toEqual([]);
    // Reading needs no index bound (only setting does).
    expect(readablePathProblem('input.99999999')).toBeUndefined();
    const r = new NodeRegistry().register('switch', executor, {
      config: SwitchNodeConfigSchema,
      configProblems: switchConfigProblems,
    });
    const check = r.getRegistration('switch').checks.config;
    const def = workflow([
      node('a', { type: 'switch', config: { path: 'input.constructor.x', cases: {} } }),
    ]);
    expect(validateWorkflow(def, { nodeConfigCheck: () => check }).issues).toEqual([
      expect.objectContaining({ code: 'INVALID_NODE_CONFIG', path: '/nodes/0/config/path' }),
    ]);
  });

  it('configProblems is checked at register and left out of the catalogue entry', () => {
    const r = new NodeRegistry();
    expect(() => r.register('t', executor, { configProblems: 5 as unknown as () => [] })).toThrow(
      InvalidArgumentError,
    );
    r.register('u', executor, { configProblems: () => [{ path: '', message: 'never' }] });
    expect(r.getRegistration('u').checks.config?.problems({})).toEqual([
      { path: '', message: 'never' },
    ]);
    expect(nodeTypeInfo('u', r.getRegistration('u').options, false)).toEqual({
      type: 'u',
      builtIn: false,
    });
  });
});
