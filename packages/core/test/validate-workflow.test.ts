import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertValidWorkflow,
  compileJsonSchema,
  compileWorkflow,
  HttpNodeConfigSchema,
  type ValidationIssue,
  validateWorkflow,
  WorkflowValidationError,
} from '../src/index.js';
import { chain, node, workflow } from './helpers.js';

/** The issues of `def` with the given code. */
function issuesOf(def: unknown, code: string, options?: Parameters<typeof validateWorkflow>[1]) {
  return validateWorkflow(def, options).issues.filter((i) => i.code === code);
}

function codes(def: unknown, options?: Parameters<typeof validateWorkflow>[1]): string[] {
  return validateWorkflow(def, options).issues.map((i) => i.code);
}

describe('validateWorkflow: valid definitions', () => {
  it('accepts a minimal workflow with no issues', () => {
    expect(validateWorkflow(workflow([node('a')]))).toEqual({ valid: true, issues: [] });
  });

  it('accepts edges given by inputs only, outputs only, or both when they agree', () => {
    const inputsOnly = workflow([node('a'), node('b', { inputs: ['a'] })]);
    const outputsOnly = workflow([node('a', { outputs: ['b'] }), node('b')]);
    const both = workflow([node('a', { outputs: ['b'] }), node('b', { inputs: ['a'] })]);
    const mixed = workflow([
      node('a', { outputs: ['c'] }),
      node('b'),
      node('c', { inputs: ['a', 'b'] }),
    ]);
    for (const def of [inputsOnly, outputsOnly, both, mixed]) {
      expect(validateWorkflow(def)).toEqual({ valid: true, issues: [] });
    }
  });

  it('accepts every optional field', () => {
    const def = workflow(
      [
        node('a', {
          name: 'A',
          config: { url: 'https://example.com' },
          outputs: ['b'],
          retry: { attempts: 5, backoff: { type: 'fixed', delayMs: 10, maxDelayMs: 100 } },
          timeoutMs: 1000,
          continueOnFail: true,
          metadata: { x: 1 },
        }),
        node('b', { inputs: ['a'] }),
      ],
      {
        description: 'd',
        entryNodeId: 'a',
        maxConcurrency: 4,
        timeoutMs: 60_000,
        triggers: [
          { type: 'webhook', path: 'hooks/a', method: 'PUT', secret: 's' },
          { type: 'schedule', cron: '*/5 * * * *', timezone: 'Europe/Paris', initialData: {} },
          { type: 'schedule', cron: '0 0 12 * * MON-FRI' },
          { type: 'event', event: 'user.created' },
        ],
        defaults: { retry: { attempts: 1 }, timeoutMs: 10 },
        metadata: { editor: { x: 1 } },
      },
    );
    expect(validateWorkflow(def)).toEqual({ valid: true, issues: [] });
  });
});

describe('validateWorkflow: every issue code', () => {
  it('SCHEMA: not an object', () => {
    for (const def of [null, undefined, 42, 'wf', [], true]) {
      expect(validateWorkflow(def)).toEqual({
        valid: false,
        issues: [{ path: '', code: 'SCHEMA', message: expect.any(String), severity: 'error' }],
      });
    }
  });

  it('SCHEMA: missing and malformed fields, with JSON-pointer paths', () => {
    const result = validateWorkflow({ id: 'wf', nodes: [{ id: 'a' }] });
    expect(result.valid).toBe(false);
    const paths = result.issues.filter((i) => i.code === 'SCHEMA').map((i) => i.path);
    expect(paths).toContain('/name');
    expect(paths).toContain('/nodes/0/type');

    expect(issuesOf(workflow([]), 'SCHEMA').map((i) => i.path)).toContain('/nodes');
    expect(issuesOf({ ...workflow([node('a')]), extra: 1 }, 'SCHEMA').map((i) => i.path)).toContain(
      '/extra',
    );
    expect(
      issuesOf(workflow([node('a', { timeoutMs: 0 })]), 'SCHEMA').map((i) => i.path),
    ).toContain('/nodes/0/timeoutMs');
    expect(
      issuesOf(
        workflow([node('a', { retry: { attempts: 0 } })], { maxConcurrency: 1.5 }),
        'SCHEMA',
      ).map((i) => i.path),
    ).toEqual(expect.arrayContaining(['/nodes/0/retry/attempts', '/maxConcurrency']));
  });

  it('DUPLICATE_NODE_ID', () => {
    const issues = issuesOf(workflow([node('a'), node('b'), node('a')]), 'DUPLICATE_NODE_ID');
    expect(issues).toEqual([
      {
        path: '/nodes/2/id',
        code: 'DUPLICATE_NODE_ID',
        message: expect.stringContaining("'a'"),
        severity: 'error',
      },
    ]);
  });

  it('UNKNOWN_NODE_REFERENCE in inputs and outputs', () => {
    const def = workflow([node('a', { outputs: ['x'] }), node('b', { inputs: ['a', 'y'] })]);
    expect(issuesOf(def, 'UNKNOWN_NODE_REFERENCE')).toEqual([
      {
        path: '/nodes/0/outputs/0',
        code: 'UNKNOWN_NODE_REFERENCE',
        message: expect.stringContaining("'x'"),
        severity: 'error',
      },
      {
        path: '/nodes/1/inputs/1',
        code: 'UNKNOWN_NODE_REFERENCE',
        message: expect.stringContaining("'y'"),
        severity: 'error',
      },
    ]);
  });

  it('reference paths index the definition even next to non-string entries', () => {
    const def = { id: 'wf', name: 'w', nodes: [{ id: 'a', type: 't', inputs: [1, 'zz'] }] };
    const issues = validateWorkflow(def).issues;
    expect(issues).toContainEqual(
      expect.objectContaining({ code: 'SCHEMA', path: '/nodes/0/inputs/0' }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({ code: 'UNKNOWN_NODE_REFERENCE', path: '/nodes/0/inputs/1' }),
    );
  });

  it('DUPLICATE_REFERENCE', () => {
    const def = workflow([node('a', { outputs: ['b', 'b'] }), node('b', { inputs: ['a', 'a'] })]);
    expect(issuesOf(def, 'DUPLICATE_REFERENCE').map((i) => i.path)).toEqual([
      '/nodes/0/outputs/1',
      '/nodes/1/inputs/1',
    ]);
  });

  it('INPUTS_OUTPUTS_DISAGREE in both directions', () => {
    // a lists c in outputs, c declares inputs without a.
    const def1 = workflow([node('a', { outputs: ['c'] }), node('b'), node('c', { inputs: ['b'] })]);
    expect(issuesOf(def1, 'INPUTS_OUTPUTS_DISAGREE')).toEqual([
      {
        path: '/nodes/2/inputs',
        code: 'INPUTS_OUTPUTS_DISAGREE',
        message: expect.stringContaining("'a'"),
        severity: 'error',
      },
    ]);
    // c lists a in inputs, a declares outputs (empty) without c.
    const def2 = workflow([node('a', { outputs: [] }), node('c', { inputs: ['a'] })]);
    expect(issuesOf(def2, 'INPUTS_OUTPUTS_DISAGREE').map((i) => i.path)).toEqual([
      '/nodes/0/outputs',
    ]);
    // An explicit empty inputs list disagrees with a parent's outputs.
    const def3 = workflow([node('a', { outputs: ['b'] }), node('b', { inputs: [] })]);
    expect(codes(def3)).toEqual(['INPUTS_OUTPUTS_DISAGREE']);
  });

  it('CYCLE with the cycle path in the message', () => {
    const def = workflow([node('a', { outputs: ['b'] }), node('b', { outputs: ['a'] })]);
    const cycles = issuesOf(def, 'CYCLE');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatchObject({ path: '/nodes', severity: 'error' });
    expect(cycles[0]!.message).toContain('a -> b -> a');

    const longer = workflow([
      node('a', { inputs: ['c'] }),
      node('b', { inputs: ['a'] }),
      node('c', { inputs: ['b'] }),
      node('d', { inputs: ['c'] }),
    ]);
    expect(issuesOf(longer, 'CYCLE').map((i) => i.message)).toEqual([
      expect.stringContaining('a -> b -> c -> a'),
    ]);
    expect(() => compileWorkflow(longer)).toThrow(WorkflowValidationError);
  });

  it('CYCLE for a node listing itself', () => {
    expect(issuesOf(workflow([node('a', { inputs: ['a'] })]), 'CYCLE')).toEqual([
      expect.objectContaining({ path: '/nodes/0/inputs/0', severity: 'error' }),
    ]);
    expect(issuesOf(workflow([node('a', { outputs: ['a'] })]), 'CYCLE')).toEqual([
      expect.objectContaining({ path: '/nodes/0/outputs/0' }),
    ]);
  });

  it('ENTRY_NODE_NOT_FOUND', () => {
    expect(issuesOf(workflow([node('a')], { entryNodeId: 'zz' }), 'ENTRY_NODE_NOT_FOUND')).toEqual([
      {
        path: '/entryNodeId',
        code: 'ENTRY_NODE_NOT_FOUND',
        message: expect.stringContaining("'zz'"),
        severity: 'error',
      },
    ]);
  });

  it('ENTRY_NODE_NOT_FOUND for a non-string entryNodeId, even one that cannot be printed', () => {
    for (const entryNodeId of [42, null, Object.create(null), { toString: '' }, ['a']]) {
      const def = { ...workflow([node('a')]), entryNodeId };
      expect(issuesOf(def, 'ENTRY_NODE_NOT_FOUND')).toEqual([
        expect.objectContaining({ path: '/entryNodeId', severity: 'error' }),
      ]);
    }
  });

  it('ENTRY_NODE_HAS_INPUTS, whether the edge is declared by inputs or by a parent’s outputs', () => {
    const viaInputs = workflow([node('a'), node('b', { inputs: ['a'] })], { entryNodeId: 'b' });
    const viaOutputs = workflow([node('a', { outputs: ['b'] }), node('b')], { entryNodeId: 'b' });
    for (const def of [viaInputs, viaOutputs]) {
      expect(validateWorkflow(def)).toEqual({
        valid: false,
        issues: [
          {
            path: '/entryNodeId',
            code: 'ENTRY_NODE_HAS_INPUTS',
            message: expect.any(String),
            severity: 'error',
          },
        ],
      });
    }
  });

  it('UNREACHABLE_NODE is a warning and leaves the definition valid', () => {
    const def = workflow([node('a'), node('b'), node('c', { inputs: ['b'] })], {
      entryNodeId: 'a',
    });
    expect(validateWorkflow(def)).toEqual({
      valid: true,
      issues: [
        {
          path: '/nodes/1',
          code: 'UNREACHABLE_NODE',
          message: expect.any(String),
          severity: 'warning',
        },
        {
          path: '/nodes/2',
          code: 'UNREACHABLE_NODE',
          message: expect.any(String),
          severity: 'warning',
        },
      ],
    });
    // Without entryNodeId every root is an entry: nothing is unreachable.
    expect(codes({ ...def, entryNodeId: undefined })).toEqual([]);
  });

  it('TOO_MANY_NODES with the default limit (10,000) and a custom one', () => {
    const def = chain(10_001);
    expect(issuesOf(def, 'TOO_MANY_NODES')).toEqual([
      {
        path: '/nodes',
        code: 'TOO_MANY_NODES',
        message: expect.stringContaining('10001'),
        severity: 'error',
      },
    ]);
    expect(() => compileWorkflow(def)).toThrow(WorkflowValidationError);
    expect(codes(chain(3), { limits: { maxNodes: 2 } })).toEqual(['TOO_MANY_NODES']);
    expect(codes(chain(2), { limits: { maxNodes: 2 } })).toEqual([]);
  });

  it('ID_TOO_LONG for the workflow id and node ids', () => {
    const long = 'x'.repeat(129);
    expect(issuesOf(workflow([node('a')], { id: long }), 'ID_TOO_LONG')).toEqual([
      expect.objectContaining({ path: '/id', severity: 'error' }),
    ]);
    expect(issuesOf(workflow([node('a'), node(long)]), 'ID_TOO_LONG')).toEqual([
      expect.objectContaining({ path: '/nodes/1/id', severity: 'error' }),
    ]);
    expect(codes(workflow([node('x'.repeat(128))]))).toEqual([]);
    expect(codes(workflow([node('abcd')]), { limits: { maxIdLength: 3 } })).toEqual([
      'ID_TOO_LONG',
    ]);
  });

  it('INVALID_ID for node ids outside A-Z a-z 0-9 _ . -', () => {
    for (const bad of ['a b', 'a/b', 'é', '', 'a:b']) {
      expect(issuesOf(workflow([node(bad)]), 'INVALID_ID')).toEqual([
        expect.objectContaining({ path: '/nodes/0/id', severity: 'error' }),
      ]);
    }
    expect(codes(workflow([node('A-z_0.9')]))).toEqual([]);
  });

  it('RESERVED_ID for ids that are object prototype keys', () => {
    for (const reserved of ['__proto__', 'constructor', 'prototype']) {
      expect(issuesOf(workflow([node(reserved)]), 'RESERVED_ID')).toEqual([
        expect.objectContaining({ path: '/nodes/0/id', severity: 'error' }),
      ]);
      expect(issuesOf({ ...workflow([node('a')]), id: reserved }, 'RESERVED_ID')).toEqual([
        expect.objectContaining({ path: '/id', severity: 'error' }),
      ]);
    }
  });

  it('UNKNOWN_NODE_TYPE only when isNodeTypeKnown is given', () => {
    const def = workflow([node('a', { type: 'http' }), node('b', { type: 'mystery' })]);
    expect(codes(def)).toEqual([]);
    const isNodeTypeKnown = (t: string): boolean => t === 'http';
    expect(issuesOf(def, 'UNKNOWN_NODE_TYPE', { isNodeTypeKnown })).toEqual([
      {
        path: '/nodes/1/type',
        code: 'UNKNOWN_NODE_TYPE',
        message: expect.stringContaining("'mystery'"),
        severity: 'error',
      },
    ]);
    expect(() => compileWorkflow(def, { isNodeTypeKnown })).toThrow(WorkflowValidationError);
  });

  it('INVALID_NODE_CONFIG only when nodeConfigCheck is given, per problem, under the config', () => {
    const http = compileJsonSchema(HttpNodeConfigSchema, {
      label: 'http',
      words: { root: 'config', key: 'option' },
    });
    const nodeConfigCheck = (t: string) => (t === 'http' ? http : undefined);
    const def = workflow([
      node('a', { type: 'http', config: { url: 'https://example.com' } }),
      node('b', { type: 'http', config: { urll: 'https://example.com' } }),
      node('c', { type: 'http' }),
      node('d', { type: 'mystery', config: { anything: true } }),
    ]);
    expect(codes(def)).toEqual([]);
    expect(issuesOf(def, 'INVALID_NODE_CONFIG', { nodeConfigCheck })).toEqual([
      {
        path: '/nodes/1/config',
        code: 'INVALID_NODE_CONFIG',
        message: "'url' is required",
        severity: 'error',
      },
      {
        path: '/nodes/1/config/urll',
        code: 'INVALID_NODE_CONFIG',
        message: "unknown option 'urll'",
        severity: 'error',
      },
      {
        path: '/nodes/2/config',
        code: 'INVALID_NODE_CONFIG',
        message: "'url' is required",
        severity: 'error',
      },
    ]);
    // A config that is not an object is the definition schema's to report.
    const notObject = workflow([node('a', { type: 'http', config: 5 as never })]);
    expect(codes(notObject, { nodeConfigCheck })).toEqual(['SCHEMA']);
    expect(() => compileWorkflow(def, { nodeConfigCheck })).toThrow(WorkflowValidationError);
  });

  it('INVALID_CRON', () => {
    for (const cron of ['* * * *', '* * * * * * *', 'every minute', '* * * * $', '@daily']) {
      expect(
        issuesOf(workflow([node('a')], { triggers: [{ type: 'schedule', cron }] }), 'INVALID_CRON'),
        cron,
      ).toEqual([expect.objectContaining({ path: '/triggers/0/cron', severity: 'error' })]);
    }
    for (const cron of ['* * * * *', '0 9 * * MON-FRI', '*/15 0-6 1,15 * ?', '0 0 0 L * *']) {
      expect(
        codes(workflow([node('a')], { triggers: [{ type: 'schedule', cron }] })),
        cron,
      ).toEqual([]);
    }
  });

  it('INVALID_TIMEZONE', () => {
    const def = workflow([node('a')], {
      triggers: [
        { type: 'schedule', cron: '* * * * *', timezone: 'UTC' },
        { type: 'schedule', cron: '* * * * *', timezone: 'Mars/Olympus_Mons' },
      ],
    });
    expect(issuesOf(def, 'INVALID_TIMEZONE')).toEqual([
      expect.objectContaining({ path: '/triggers/1/timezone', severity: 'error' }),
    ]);
  });

  it('DUPLICATE_WEBHOOK (method defaults to POST, slashes are trimmed)', () => {
    const def = workflow([node('a')], {
      triggers: [
        { type: 'webhook', path: 'orders' },
        { type: 'webhook', path: '/orders/', method: 'POST' },
        { type: 'webhook', path: 'orders', method: 'GET' },
        { type: 'webhook', path: 'orders/new' },
      ],
    });
    expect(issuesOf(def, 'DUPLICATE_WEBHOOK')).toEqual([
      expect.objectContaining({ path: '/triggers/1/path', severity: 'error' }),
    ]);
  });

  it('reports every problem in one call', () => {
    const def = {
      id: 'wf',
      name: 'w',
      entryNodeId: 'nope',
      nodes: [
        { id: 'a', type: 't', outputs: ['b', 'ghost'] },
        { id: 'b', type: 't', outputs: ['a'] },
        { id: 'a', type: 't' },
        { id: 'bad id', type: 't' },
      ],
      triggers: [{ type: 'schedule', cron: 'nope', timezone: 'Nowhere/Land' }],
    };
    const result = validateWorkflow(def);
    expect(result.valid).toBe(false);
    expect(new Set(result.issues.map((i) => i.code))).toEqual(
      new Set([
        'SCHEMA',
        'DUPLICATE_NODE_ID',
        'INVALID_ID',
        'UNKNOWN_NODE_REFERENCE',
        'CYCLE',
        'ENTRY_NODE_NOT_FOUND',
        'INVALID_CRON',
        'INVALID_TIMEZONE',
      ]),
    );
  });
});

describe('assertValidWorkflow', () => {
  it('returns the definition when valid (warnings allowed)', () => {
    const def = workflow([node('a'), node('b')], { entryNodeId: 'a' });
    expect(assertValidWorkflow(def)).toBe(def);
  });

  it('throws WorkflowValidationError carrying every issue', () => {
    const def = workflow([node('a', { outputs: ['x'] }), node('a')]);
    try {
      assertValidWorkflow(def);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowValidationError);
      const err = e as WorkflowValidationError;
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.issues.map((i) => i.code).sort()).toEqual([
        'DUPLICATE_NODE_ID',
        'UNKNOWN_NODE_REFERENCE',
      ]);
      expect(err.message).toMatch(
        /^Invalid workflow definition: \/nodes\/\d\/\S+: .+ \(and 1 more\)$/,
      );
      expect(err.toJSON()).toEqual({
        code: 'VALIDATION_FAILED',
        message: err.message,
        details: { issues: err.issues },
      });
    }
  });
});

describe('validateWorkflow on large inputs', { timeout: 60_000 }, () => {
  it('validates and compiles a 10,000-node chain quickly, without stack overflow', () => {
    for (const via of ['inputs', 'outputs'] as const) {
      const def = chain(10_000, via);
      const t0 = performance.now();
      expect(validateWorkflow(def)).toEqual({ valid: true, issues: [] });
      const plan = compileWorkflow(def);
      const ms = performance.now() - t0;
      expect(plan.order).toHaveLength(10_000);
      expect(plan.order[0]).toBe('n0');
      expect(plan.order[9_999]).toBe('n9999');
      expect(plan.entryNodes).toEqual(['n0']);
      expect(ms).toBeLessThan(5_000);
    }
  });

  it('finds a cycle closing a 10,000-node chain', () => {
    const def = chain(10_000);
    def.nodes[0]!.inputs = ['n9999'];
    const cycles = issuesOf(def, 'CYCLE');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.message).toMatch(/^cycle: n0 -> n1 -> .* -> n9999 -> n0$/);
  });

  it('10,000 nodes are allowed, 10,001 are TOO_MANY_NODES', () => {
    const wide = workflow(Array.from({ length: 10_000 }, (_, i) => node(`w${i}`)));
    expect(validateWorkflow(wide).valid).toBe(true);
    wide.nodes.push(node('one-more'));
    expect(codes(wide)).toEqual(['TOO_MANY_NODES']);
  });
});

describe('validateWorkflow (property)', { timeout: 60_000 }, () => {
  const checkIssues = (issues: ValidationIssue[]): void => {
    for (const issue of issues) {
      expect(typeof issue.code).toBe('string');
      expect(typeof issue.message).toBe('string');
      expect(['error', 'warning']).toContain(issue.severity);
      expect(issue.path === '' || issue.path.startsWith('/')).toBe(true);
    }
  };

  it('never throws on arbitrary values, and valid means no error', () => {
    fc.assert(
      fc.property(
        fc.anything({ withObjectString: true, withNullPrototype: true, withBoxedValues: true }),
        (value) => {
          const result = validateWorkflow(value);
          checkIssues(result.issues);
          expect(result.valid).toBe(!result.issues.some((i) => i.severity === 'error'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on near-valid definitions with random field values', () => {
    const value = fc.oneof(
      fc.anything({
        withNullPrototype: true,
        withObjectString: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withSparseArray: true,
        withDate: true,
      }),
      fc.constantFrom({ toString: '' }, { toString: 1, valueOf: 1 }, Object.create(null)),
      fc.string(),
      fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)), {
        maxLength: 4,
      }),
    );
    const nodeArb = fc.record(
      {
        id: fc.oneof(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor'), value),
        type: fc.oneof(fc.constant('t'), value),
        inputs: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), value),
        outputs: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), value),
        continueOnFail: value,
        retry: value,
      },
      { requiredKeys: [] },
    );
    const defArb = fc.record(
      {
        id: fc.oneof(fc.constant('wf'), value),
        name: fc.oneof(fc.constant('w'), value),
        entryNodeId: fc.oneof(fc.constantFrom('a', 'b', 'zz'), value),
        nodes: fc.oneof(fc.array(nodeArb, { maxLength: 6 }), value),
        triggers: fc.oneof(
          fc.array(
            fc.record(
              {
                type: fc.constantFrom('webhook', 'schedule', 'event', 'other'),
                path: fc.oneof(fc.constantFrom('a', '/a/', 'b'), value),
                method: fc.oneof(fc.constantFrom('GET', 'POST'), value),
                cron: fc.oneof(fc.constantFrom('* * * * *', 'x'), value),
                timezone: fc.oneof(fc.constantFrom('UTC', 'Nowhere'), value),
              },
              { requiredKeys: ['type'] },
            ),
            { maxLength: 4 },
          ),
          value,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(defArb, (def) => {
        const result = validateWorkflow(def);
        checkIssues(result.issues);
        if (result.valid) expect(() => compileWorkflow(def as never)).not.toThrow();
        else expect(() => compileWorkflow(def as never)).toThrow(WorkflowValidationError);
      }),
      { numRuns: 500 },
    );
  });
});
