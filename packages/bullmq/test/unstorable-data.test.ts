import { type WorkflowDefinition, WorkflowValidationError } from '@spane/core';
import { describe, expect } from 'vitest';
import { exec, type Harness, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput, noop } from './support/stock-executors.js';

const RETRY3 = { attempts: 3, backoff: { type: 'fixed' as const, delayMs: 10 } };

/** Objects nested `levels` deep: `{ a: { a: … {} } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

function circular(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
}

/** Outputs no store can keep unchanged, and what the DLQ item's error must say. */
const BAD_OUTPUTS: Record<string, { make: () => unknown; error: RegExp }> = {
  bigint: { make: () => ({ total: 10n }), error: /a BigInt at \/total/ },
  circular: { make: circular, error: /a circular reference at \/self/ },
  'throwing-tojson': {
    make: () => ({
      toJSON() {
        throw new Error('cannot say');
      },
    }),
    error: /an error while serialising it: cannot say/,
  },
  function: { make: () => ({ callback: () => 1 }), error: /a function at \/callback/ },
  symbol: { make: () => ({ tag: Symbol('t') }), error: /a symbol at \/tag/ },
  nul: {
    make: () => ({ text: 'a\u0000b' }),
    error: /a string containing the character U\+0000 at \/text/,
  },
  'too-deep': { make: () => nested(101), error: /nesting deeper than 100 levels/ },
  // PostgreSQL's jsonb refuses the escape "\ud800"; the memory store would keep it.
  'lone-surrogate': {
    make: () => ({ list: ['ok', 'a\ud800'] }),
    error:
      /a string containing a lone UTF-16 surrogate \(U\+D800 to U\+DFFF without its pair\) at \/list\/1/,
  },
  'lone-surrogate-key': {
    make: () => ({ 'x\udfff': 1 }),
    // The error is recorded with U+FFFD in its place, on every store.
    error:
      /a key containing a lone UTF-16 surrogate \(U\+D800 to U\+DFFF without its pair\) at \/x\ufffd/,
  },
};

/** Every execution of the harness's default tenant. */
async function executions(h: Harness) {
  return (await h.engine.listExecutions()).items;
}

describe('an executor error that a store cannot keep as it is', () => {
  it('an error message with U+0000 is recorded with U+FFFD: the node fails once its retries are used, never stuck', async ({
    harness,
  }) => {
    const h = await harness();
    let calls = 0;
    h.registry.register(
      'nul-error',
      exec(async () => {
        calls += 1;
        throw new Error('bad\u0000byte');
      }),
    );
    await h.engine.registerWorkflow(
      wf('nul-error', [{ id: 'N', type: 'nul-error', retry: RETRY3 }]),
    );
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('nul-error');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.N).toMatchObject({ status: 'failed', error: 'bad\uFFFDbyte' });
    expect(calls).toBe(3);
    const dlq = (await h.engine.getDLQItems()).find((i) => i.executionId === id);
    expect(dlq?.error).toBe('bad\uFFFDbyte');
  });
});

describe('output that cannot be stored', () => {
  it('fails the node at once, without retries, with a message that says why', async ({
    harness,
  }) => {
    const h = await harness();
    const calls = new Map<string, number>();
    for (const [kind, { make }] of Object.entries(BAD_OUTPUTS)) {
      h.registry.register(
        `bad-${kind}`,
        exec(async () => {
          calls.set(kind, (calls.get(kind) ?? 0) + 1);
          return { success: true, data: make() };
        }),
      );
      await h.engine.registerWorkflow(
        wf(`bad-${kind}`, [{ id: 'N', type: `bad-${kind}`, retry: RETRY3 }]),
      );
    }
    await h.engine.startWorkers(4);
    const kinds = Object.keys(BAD_OUTPUTS);
    const ids = await Promise.all(kinds.map((kind) => h.engine.enqueueWorkflow(`bad-${kind}`)));
    const dlq = new Map<string, string>();
    for (const [i, kind] of kinds.entries()) {
      const state = await h.engine.waitForExecution(ids[i]!, { timeoutMs: 10_000 });
      expect(state.status, kind).toBe('failed');
      expect(state.nodeResults.N, kind).toMatchObject({ status: 'failed', attempts: 1 });
      expect(state.nodeResults.N?.data, kind).toBeUndefined();
      expect(state.nodeResults.N?.error, kind).toMatch(BAD_OUTPUTS[kind]!.error);
    }
    for (const item of await h.engine.getDLQItems()) dlq.set(item.executionId, item.error);
    for (const [i, kind] of kinds.entries()) {
      expect(calls.get(kind), kind).toBe(1);
      expect(dlq.get(ids[i]!), kind).toMatch(
        new RegExp(
          `^output of node 'N' cannot be stored as JSON: ${BAD_OUTPUTS[kind]!.error.source}`,
        ),
      );
    }
  });

  it("refuses a sub-workflow node's input that cannot be stored before creating the child", async ({
    harness,
  }) => {
    const h = await harness();
    // The parent's output is as deep as allowed; the mapping puts it one level deeper.
    h.registry.register(
      'deep',
      exec(async () => ({ success: true, data: nested(100) })),
    );
    h.registry.register('echo', echoInput);
    await h.engine.registerWorkflow(wf('child', [{ id: 'C', type: 'echo' }]));
    await h.engine.registerWorkflow(
      wf('parent', [
        { id: 'A', type: 'deep' },
        {
          id: 'S',
          type: 'sub-workflow',
          inputs: ['A'],
          retry: RETRY3,
          config: { workflowId: 'child', inputMapping: { wrapped: 'input' } },
        },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('parent');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.S).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.S?.error).toMatch(
      /^input of sub-workflow node 'S' cannot be stored as JSON: nesting deeper than 100/,
    );
    expect((await executions(h)).map((e) => e.workflowId)).toEqual(['parent']);
  });
});

describe('input that cannot be stored', () => {
  it('is refused with PAYLOAD_NOT_STORABLE before anything is created, on every way in', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('noop', noop);
    await h.engine.registerWorkflow(
      wf('target', [{ id: 'N', type: 'noop' }], {
        triggers: [
          { type: 'event', event: 'thing.happened' },
          { type: 'webhook', path: 'in' },
        ],
      }),
    );
    const refused = { code: 'PAYLOAD_NOT_STORABLE' };
    for (const [kind, { make }] of Object.entries(BAD_OUTPUTS)) {
      await expect(h.engine.enqueueWorkflow('target', make()), kind).rejects.toMatchObject(refused);
      await expect(
        h.engine.enqueueWorkflows([
          { workflowId: 'target', initialData: { fine: true } },
          { workflowId: 'target', initialData: make() },
        ]),
        kind,
      ).rejects.toMatchObject(refused);
      await expect(h.engine.emitEvent('thing.happened', make()), kind).rejects.toMatchObject(
        refused,
      );
    }
    const webhook = (body: string, deliveryId: string) =>
      h.engine.triggerWebhook('in', 'POST', Buffer.from(body), {
        'content-type': 'application/json',
        'x-spane-delivery': deliveryId,
      });
    await expect(webhook('{"text":"a\\u0000b"}', 'd1')).rejects.toMatchObject(refused);
    await expect(webhook('{"text":"a\\udc00"}', 'd1')).rejects.toMatchObject(refused);
    await expect(h.engine.triggerWebhook('in?q=%00', 'POST', undefined, {})).rejects.toMatchObject(
      refused,
    );
    expect(await executions(h)).toEqual([]);
    // The refused delivery was not kept as seen: the sender's corrected retry starts a run.
    expect(await webhook('{"text":"ab"}', 'd1')).toHaveLength(1);
  });
});

describe('workflow config that cannot be hashed or copied', () => {
  it('gives a WorkflowValidationError naming the node and the path', async ({ harness }) => {
    const h = await harness();
    h.registry.register('noop', noop);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 2_000; i++) deep = { a: deep };
    const cases: [WorkflowDefinition, string, RegExp][] = [
      [
        wf('deep', [{ id: 'D', type: 'noop', config: { deep } }]),
        `/nodes/0/config/deep${'/a'.repeat(99)}`,
        /^config of node 'D' cannot be stored as JSON: nesting deeper than 100 levels/,
      ],
      [
        wf('big', [{ id: 'B', type: 'noop', config: { max: 1n } as never }]),
        '/nodes/0/config/max',
        /^config of node 'B' cannot be stored as JSON: a BigInt at \/max$/,
      ],
    ];
    for (const [def, path, message] of cases) {
      const error = await h.engine.registerWorkflow(def).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkflowValidationError);
      const issues = (error as WorkflowValidationError).issues;
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: 'NOT_STORABLE', path, severity: 'error' });
      expect(issues[0]?.message).toMatch(message);
    }
    expect(await h.engine.listWorkflows()).toEqual([]);
  });
});
