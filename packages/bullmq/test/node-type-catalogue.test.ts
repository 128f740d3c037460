import {
  HttpNodeConfigSchema,
  type INodeExecutor,
  SwitchNodeConfigSchema,
  TransformNodeConfigSchema,
  type ValidationIssue,
  WorkflowValidationError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { exec, type Harness, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput, noop } from './support/stock-executors.js';

const RETRY3 = { attempts: 3, backoff: { type: 'fixed' as const, delayMs: 10 } };

/** The issues a registration was refused with (fails the test when it was accepted). */
async function refusal(h: Harness, def: Parameters<Harness['engine']['registerWorkflow']>[0]) {
  const error = await h.engine.registerWorkflow(def).then(
    () => expect.unreachable('the registration was accepted'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowValidationError);
  return (error as WorkflowValidationError).issues.map(({ path, code, message }) => ({
    path,
    code,
    message,
  }));
}

const issue = (path: string, message: string): Omit<ValidationIssue, 'severity'> => ({
  path,
  code: 'INVALID_NODE_CONFIG',
  message,
});

function registerServerLikeTypes(h: Harness): void {
  h.registry.register('switch', noop, { config: SwitchNodeConfigSchema });
  h.registry.register('http', noop, { config: HttpNodeConfigSchema });
  h.registry.register('transform', echoInput, { config: TransformNodeConfigSchema });
}

describe('node configs at registration', () => {
  it('refuses configs that fail their type’s schema, every problem under its node’s config', async ({
    harness,
  }) => {
    const h = await harness();
    registerServerLikeTypes(h);
    const issues = await refusal(
      h,
      wf('bad', [
        { id: 'S', type: 'switch', config: { cases: { a: ['H'] } } },
        { id: 'H', type: 'http', inputs: ['S'], config: { method: 'GET' } },
        { id: 'T', type: 'transform', inputs: ['H'], config: { pik: ['a'] } },
      ]),
    );
    expect(issues).toEqual([
      issue('/nodes/0/config', "'path' is required"),
      issue('/nodes/1/config', "'url' is required"),
      issue('/nodes/2/config/pik', "unknown option 'pik'"),
    ]);
    expect(await h.engine.getWorkflow('bad')).toBeNull();
  });

  it('checks a custom type’s declared config, and accepts good configs of every type', async ({
    harness,
  }) => {
    const h = await harness();
    registerServerLikeTypes(h);
    h.registry.register('mail', noop, {
      config: {
        type: 'object',
        properties: {
          to: { type: 'string', format: 'email' },
          cc: { type: 'array', items: { type: 'string' } },
        },
        required: ['to'],
        additionalProperties: false,
      },
    });
    h.registry.register('free', noop); // no schema: any config
    expect(
      await refusal(
        h,
        wf('bad-mail', [{ id: 'M', type: 'mail', config: { to: 'nobody', cc: 'x', bcc: [] } }]),
      ),
    ).toEqual([
      issue('/nodes/0/config/bcc', "unknown option 'bcc'"),
      issue('/nodes/0/config/to', 'config.to must be a valid email'),
      issue('/nodes/0/config/cc', 'config.cc must be an array'),
    ]);
    const stored = await h.engine.registerWorkflow(
      wf('good', [
        { id: 'M', type: 'mail', config: { to: 'ada@example.com' } },
        { id: 'S', type: 'switch', inputs: ['M'], config: { path: 'input.kind', cases: {} } },
        { id: 'H', type: 'http', inputs: ['S'], config: { url: 'https://example.com/x' } },
        { id: 'T', type: 'transform', inputs: ['H'] },
        { id: 'F', type: 'free', inputs: ['T'], config: { whatever: [1, 2] } },
        { id: 'D', type: 'delay', inputs: ['F'], config: { durationMs: 0 } },
      ]),
    );
    expect(stored.workflowId).toBe('good');
  });

  it('keeps the checks a schema cannot make for the built-ins', async ({ harness }) => {
    const h = await harness();
    expect(
      await refusal(
        h,
        wf('bad', [
          { id: 'D', type: 'delay', config: { until: '2030-13-01' } },
          {
            id: 'S',
            type: 'sub-workflow',
            config: { workflowId: 'child', inputMapping: { x: 'input.__proto__.y' } },
          },
        ]),
      ),
    ).toEqual([
      issue('/nodes/0/config/until', "config.until '2030-13-01' is not a real date"),
      issue(
        '/nodes/1/config/inputMapping/x',
        "path 'input.__proto__.y' uses the reserved key '__proto__'",
      ),
    ]);
  });
});

describe('input and output schemas', () => {
  const Counted = {
    type: 'object',
    properties: { count: { type: 'integer' } },
    required: ['count'],
  };

  it('fail a node whose input does not match, before its executor runs, without a retry', async ({
    harness,
  }) => {
    const h = await harness();
    let runs = 0;
    h.registry.register(
      'source',
      exec(async (ctx) => ({ success: true, data: ctx.inputData })),
    );
    h.registry.register(
      'counter',
      exec(async () => {
        runs += 1;
        return { success: true, data: { count: 1 } };
      }),
      { input: Counted },
    );
    await h.engine.registerWorkflow(
      wf('in', [
        { id: 'A', type: 'source' },
        { id: 'C', type: 'counter', inputs: ['A'], retry: RETRY3 },
      ]),
    );
    await h.engine.startWorkers(2);
    const good = await h.engine.enqueueWorkflow('in', { count: 3 });
    expect((await h.engine.waitForExecution(good, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(runs).toBe(1);

    const bad = await h.engine.enqueueWorkflow('in', { count: 'three' });
    const state = await h.engine.waitForExecution(bad, { timeoutMs: 5_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.C).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.C?.error).toBe(
      "input of node 'C' does not match the input schema of node type 'counter': /count: input.count must be an integer",
    );
    expect(runs).toBe(1);
    const [item] = await h.engine.getDLQItems();
    expect(item).toMatchObject({ executionId: bad, nodeId: 'C' });
  });

  it('fail a node whose successful output does not match, without a retry', async ({ harness }) => {
    const h = await harness();
    let runs = 0;
    const counter: INodeExecutor = exec(async (ctx) => {
      runs += 1;
      return { success: true, data: ctx.inputData };
    });
    h.registry.register('counter', counter, { output: Counted });
    h.registry.register('after', noop);
    await h.engine.registerWorkflow(
      wf('out', [
        { id: 'C', type: 'counter', retry: RETRY3 },
        { id: 'B', type: 'after', inputs: ['C'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const good = await h.engine.enqueueWorkflow('out', { count: 2 });
    const done = await h.engine.waitForExecution(good, { timeoutMs: 5_000 });
    expect(done.status).toBe('completed');
    expect(done.nodeResults.C?.data).toEqual({ count: 2 });

    const bad = await h.engine.enqueueWorkflow('out', { total: 2 });
    const state = await h.engine.waitForExecution(bad, { timeoutMs: 5_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.C).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.C?.error).toBe(
      "output of node 'C' does not match the output schema of node type 'counter': /: 'count' is required",
    );
    expect(state.nodeResults.C?.data).toBeUndefined();
    expect(state.nodeResults.B?.status).not.toBe('completed');
    expect(runs).toBe(2);
  });
});

describe('listNodeTypes', () => {
  it('lists the built-ins, then the registered types, as plain JSON', async ({ harness }) => {
    const h = await harness();
    h.registry.register('switch', noop, {
      description: 'Chooses children',
      config: SwitchNodeConfigSchema,
      concurrency: 4,
    });
    h.registry.register('plain', noop);
    h.registry.register('delay', noop); // never used: the engine runs delay nodes itself
    const types = h.engine.listNodeTypes();
    expect(types.map((t) => [t.type, t.builtIn])).toEqual([
      ['delay', true],
      ['map', true],
      ['sub-workflow', true],
      ['wait-for-signal', true],
      ['switch', false],
      ['plain', false],
    ]);
    expect(types[0]).toMatchObject({
      description: expect.stringContaining('durationMs'),
      config: { anyOf: [expect.any(Object), expect.any(Object)] },
    });
    expect(types[2]?.config).toMatchObject({ required: ['workflowId'] });
    expect(types[1]?.config).toMatchObject({
      anyOf: [
        { required: expect.arrayContaining(['items', 'workflowId']) },
        { required: expect.arrayContaining(['items', 'nodeType']) },
      ],
    });
    expect(types[3]?.config).toMatchObject({ required: ['name'] });
    expect(types[4]).toEqual({
      type: 'switch',
      builtIn: false,
      description: 'Chooses children',
      config: JSON.parse(JSON.stringify(SwitchNodeConfigSchema)),
      concurrency: 4,
    });
    expect(types[5]).toEqual({ type: 'plain', builtIn: false });
    expect(JSON.parse(JSON.stringify(types))).toEqual(types);
  });
});
