import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  builtInNodeTypes,
  compileWorkflow,
  contentHash,
  defineNodeType,
  defineWorkflow,
  HttpNodeConfigSchema,
  MapNodeConfigSchema,
  NodeRegistry,
  validateWorkflow,
  WaitForSignalNodeConfigSchema,
  type WorkflowDefinition,
  WorkflowValidationError,
} from '../src/index.js';

const { http, transform, switch: switchType, delay, subWorkflow, noop } = builtInNodeTypes;

/** `fn()`'s thrown error, which must be a WorkflowValidationError. */
function validationErrorOf(fn: () => unknown): WorkflowValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowValidationError);
    return e as WorkflowValidationError;
  }
  throw new Error('expected a WorkflowValidationError, nothing was thrown');
}

/** The builder's output equals the hand-written JSON: same value, same text, same version. */
function expectSameDefinition(built: WorkflowDefinition, json: WorkflowDefinition): void {
  expect(built).toEqual(json);
  expect(JSON.stringify(built)).toBe(JSON.stringify(json));
  expect(contentHash(built)).toBe(contentHash(json));
}

describe('defineWorkflow: the same JSON as by hand', () => {
  it('a chain, with the name defaulting to the id', () => {
    const built = defineWorkflow('chain')
      .node('a', 'step')
      .node('b', 'step', { inputs: ['a'] })
      .node('c', 'step', { inputs: ['b'], config: { anything: [1, 2] } })
      .build();
    expectSameDefinition(built, {
      id: 'chain',
      name: 'chain',
      nodes: [
        { id: 'a', type: 'step' },
        { id: 'b', type: 'step', inputs: ['a'] },
        { id: 'c', type: 'step', config: { anything: [1, 2] }, inputs: ['b'] },
      ],
    });
  });

  it('a diamond join, its edges given as inputs and with .edge in call order', () => {
    const built = defineWorkflow('diamond', { name: 'Diamond' })
      .node('start', noop)
      .node('left', http, { config: { url: 'https://example.com/l' }, inputs: ['start'] })
      .node('right', transform, { config: { pick: ['input.a'] } })
      .edge('start', 'right')
      .node('join', noop, { inputs: ['right'], continueOnFail: true })
      .edge('left', 'join')
      .build();
    expectSameDefinition(built, {
      id: 'diamond',
      name: 'Diamond',
      nodes: [
        { id: 'start', type: 'noop' },
        { id: 'left', type: 'http', config: { url: 'https://example.com/l' }, inputs: ['start'] },
        { id: 'right', type: 'transform', config: { pick: ['input.a'] }, inputs: ['start'] },
        { id: 'join', type: 'noop', inputs: ['right', 'left'], continueOnFail: true },
      ],
    });
    expect(compileWorkflow(built).order).toEqual(['start', 'left', 'right', 'join']);
  });

  it('a switch branch, with every node field, an entry node and triggers', () => {
    const built = defineWorkflow('returns', {
      name: 'Returns',
      description: 'Refund or repair',
      maxConcurrency: 5,
      timeoutMs: 60_000,
      triggers: [{ type: 'event', event: 'return.requested' }],
      defaults: { retry: { attempts: 2 } },
      metadata: { editor: { zoom: 1 } },
    })
      .node('receive', 'receive', { name: 'Receive the request' })
      .node('route', switchType, {
        config: { path: 'input.kind', cases: { refund: ['refund'] }, default: ['repair'] },
        inputs: ['receive'],
      })
      .node('refund', 'refund', {
        inputs: ['route'],
        retry: { attempts: 5, backoff: { type: 'fixed', delayMs: 100 } },
        timeoutMs: 2_000,
        metadata: { x: 10 },
      })
      .node('repair', 'repair', { inputs: ['route'] })
      .trigger({ type: 'webhook', path: 'returns', method: 'POST' })
      .entry('receive')
      .build();
    expectSameDefinition(built, {
      id: 'returns',
      name: 'Returns',
      description: 'Refund or repair',
      entryNodeId: 'receive',
      nodes: [
        { id: 'receive', type: 'receive', name: 'Receive the request' },
        {
          id: 'route',
          type: 'switch',
          config: { path: 'input.kind', cases: { refund: ['refund'] }, default: ['repair'] },
          inputs: ['receive'],
        },
        {
          id: 'refund',
          type: 'refund',
          inputs: ['route'],
          retry: { attempts: 5, backoff: { type: 'fixed', delayMs: 100 } },
          timeoutMs: 2_000,
          metadata: { x: 10 },
        },
        { id: 'repair', type: 'repair', inputs: ['route'] },
      ],
      maxConcurrency: 5,
      timeoutMs: 60_000,
      triggers: [
        { type: 'event', event: 'return.requested' },
        { type: 'webhook', path: 'returns', method: 'POST' },
      ],
      defaults: { retry: { attempts: 2 } },
      metadata: { editor: { zoom: 1 } },
    });
  });

  it('a sub-workflow node and a delay', () => {
    const built = defineWorkflow('onboarding', { name: 'Onboarding' })
      .node('load', 'load')
      .node('enrich', subWorkflow, {
        config: {
          workflowId: 'enrich-customer',
          inputMapping: { id: 'input.customer.id' },
          outputMapping: { score: 'output.credit' },
        },
        inputs: ['load'],
      })
      .node('wait', delay, { config: { durationMs: 1_000 }, inputs: ['enrich'] })
      .build();
    expectSameDefinition(built, {
      id: 'onboarding',
      name: 'Onboarding',
      nodes: [
        { id: 'load', type: 'load' },
        {
          id: 'enrich',
          type: 'sub-workflow',
          config: {
            workflowId: 'enrich-customer',
            inputMapping: { id: 'input.customer.id' },
            outputMapping: { score: 'output.credit' },
          },
          inputs: ['load'],
        },
        { id: 'wait', type: 'delay', config: { durationMs: 1_000 }, inputs: ['enrich'] },
      ],
    });
  });
});

describe('defineWorkflow: build() of a bad graph throws what the engine throws', () => {
  it('a cycle made with .edge: WorkflowValidationError with the CYCLE issue of validateWorkflow', () => {
    const builder = defineWorkflow('loop')
      .node('a', 'step')
      .node('b', 'step', { inputs: ['a'] })
      .edge('b', 'a');
    const err = validationErrorOf(() => builder.build());
    expect(err.code).toBe('VALIDATION_FAILED');
    const json: WorkflowDefinition = {
      id: 'loop',
      name: 'loop',
      nodes: [
        { id: 'a', type: 'step', inputs: ['b'] },
        { id: 'b', type: 'step', inputs: ['a'] },
      ],
    };
    expect(err.issues).toEqual(validateWorkflow(json).issues);
    expect(err.issues.map((i) => i.code)).toContain('CYCLE');
    expect(validationErrorOf(() => compileWorkflow(json)).issues).toEqual(err.issues);
  });

  it('ids the compiler cannot check (plain strings): duplicates, unknown parents, bad ids', () => {
    const ids: string[] = ['a', 'a', 'bad id'];
    let builder = defineWorkflow<string>('dynamic').node('root', 'step');
    for (const id of ids) builder = builder.node(id, 'step', { inputs: ['root', 'ghost'] });
    const codes = validationErrorOf(() => builder.build()).issues.map((i) => i.code);
    expect(codes).toContain('DUPLICATE_NODE_ID');
    expect(codes).toContain('UNKNOWN_NODE_REFERENCE');
    expect(codes).toContain('INVALID_ID');
  });

  it('an edge into an undeclared node is reported with the other issues', () => {
    const builder = defineWorkflow<string>('w').node('a', 'step').edge('a', 'nowhere');
    const err = validationErrorOf(() => builder.build({ isNodeTypeKnown: () => false }));
    expect(err.issues.map((i) => [i.code, i.path])).toEqual([
      ['UNKNOWN_NODE_REFERENCE', '/nodes'],
      ['UNKNOWN_NODE_TYPE', '/nodes/0/type'],
    ]);
    expect(err.message).toContain("edge 'a' -> 'nowhere': unknown node 'nowhere'");
  });

  it('a config that cannot be stored as JSON is a NOT_STORABLE issue, not a clone error', () => {
    const config = { onDone: () => 1 } as unknown as Record<string, unknown>;
    const err = validationErrorOf(() => defineWorkflow('w').node('a', 'step', { config }).build());
    expect(err.issues.map((i) => i.code)).toEqual(['NOT_STORABLE']);
  });

  it('a field the schema does not know (from JavaScript) is a SCHEMA issue', () => {
    const spec = { input: ['x'] } as unknown as Record<string, never>;
    const err = validationErrorOf(() => defineWorkflow('w').node('a', 'step', spec).build());
    expect(err.issues).toEqual([
      expect.objectContaining({ code: 'SCHEMA', path: '/nodes/0/input' }),
    ]);
  });

  it('warnings do not throw: an entry node leaving another unreachable', () => {
    const built = defineWorkflow('w').node('a', 'step').node('b', 'step').entry('a').build();
    expect(built.entryNodeId).toBe('a');
    expect(validateWorkflow(built).issues.map((i) => i.code)).toEqual(['UNREACHABLE_NODE']);
  });
});

describe('defineWorkflow: builders are values', () => {
  it('extending a builder twice leaves it and the other branch as they were', () => {
    const base = defineWorkflow('w').node('a', 'step');
    const one = base.node('b', 'step', { inputs: ['a'] });
    const two = base.node('c', 'step').edge('a', 'c');
    expect(base.build().nodes).toEqual([{ id: 'a', type: 'step' }]);
    expect(one.build().nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(two.build().nodes).toEqual([
      { id: 'a', type: 'step' },
      { id: 'c', type: 'step', inputs: ['a'] },
    ]);
    expect(one.build().nodes[1]?.inputs).toEqual(['a']);
  });

  it('build() returns a fresh copy each time', () => {
    const builder = defineWorkflow('w').node('a', 'step', { config: { list: [1] } });
    const first = builder.build();
    (first.nodes[0]!.config!.list as number[]).push(2);
    first.nodes.push({ id: 'b', type: 'step' });
    expect(builder.build().nodes).toEqual([{ id: 'a', type: 'step', config: { list: [1] } }]);
  });

  it('the inputs array given is copied when the node is added', () => {
    const inputs: string[] = ['a'];
    const builder = defineWorkflow<string>('w').node('a', 'step').node('b', 'step', { inputs });
    inputs.push('zz');
    expect(builder.build().nodes[1]?.inputs).toEqual(['a']);
  });
});

describe('defineNodeType', () => {
  const Greeting = Type.Object({ greeting: Type.String() }, { additionalProperties: false });

  it('is frozen, carries the options given (undefined ones left out) and registers as is', () => {
    const def = defineNodeType('greet', {
      description: 'Greets',
      config: Greeting,
      concurrency: 2,
      timeoutMs: undefined,
    });
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.options)).toBe(true);
    expect(def.type).toBe('greet');
    expect(def.options).toEqual({ description: 'Greets', config: Greeting, concurrency: 2 });
    expect('timeoutMs' in def.options).toBe(false);
    const registry = new NodeRegistry().register(
      def.type,
      def.executor(async () => ({ success: true })),
      def.options,
    );
    expect(registry.getRegistration('greet').options).toEqual(def.options);
  });

  it('executor() wraps the function into an executor that runs it', async () => {
    const def = defineNodeType('greet', { config: Greeting });
    const executor = def.executor(async (ctx) => ({
      success: true,
      data: `${ctx.nodeConfig.greeting}, ${String(ctx.inputData)}`,
    }));
    expect(Object.isFrozen(executor)).toBe(true);
    const ctx = { nodeConfig: { greeting: 'Hello' }, inputData: 'Ada' } as Parameters<
      typeof executor.execute
    >[0];
    await expect(executor.execute(ctx)).resolves.toEqual({ success: true, data: 'Hello, Ada' });
  });

  it('the built-in types carry their names and config schemas', () => {
    expect(Object.isFrozen(builtInNodeTypes)).toBe(true);
    expect(Object.values(builtInNodeTypes).map((d) => d.type)).toEqual([
      'noop',
      'transform',
      'switch',
      'http',
      'delay',
      'sub-workflow',
      'wait-for-signal',
      'map',
    ]);
    expect(http.options.config).toBe(HttpNodeConfigSchema);
    expect(builtInNodeTypes.map.options.config).toBe(MapNodeConfigSchema);
    expect(builtInNodeTypes.waitForSignal.options.config).toBe(WaitForSignalNodeConfigSchema);
    for (const def of Object.values(builtInNodeTypes)) {
      expect(def.options.description).toMatch(/\w/);
    }
  });
});
