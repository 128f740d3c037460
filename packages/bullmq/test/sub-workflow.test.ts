import {
  type ExecutionStore,
  InvalidArgumentError,
  NodeRegistry,
  NonRetryableError,
  WorkflowValidationError,
} from '@spane/core';
import { afterEach, describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import {
  deferred,
  exec,
  jobsIn,
  keysOf,
  record,
  silentLogger,
  TEST_TIMINGS,
  until,
  wf,
} from './support/engine-harness.js';
import { type HarnessFactory, it } from './support/harness-fixture.js';

const extra: WorkflowEngine[] = [];
afterEach(async () => {
  for (const e of extra.splice(0)) await e.close();
});

/** Resolves when the signal aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function childrenOf(engine: WorkflowEngine, parentExecutionId: string) {
  return (await engine.listExecutions({ parentExecutionId })).items;
}

describe('sub-workflow nodes', () => {
  it('runs the child with the mapped input, maps its output back, and the parent continues without holding a worker slot', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = new Map<string, unknown>();
    h.registry.register(
      'source',
      exec(async () => ({ success: true, data: { value: { n: 21 }, other: 'x' } })),
    );
    h.registry.register(
      'double',
      exec(async (ctx) => ({
        success: true,
        data: { doubled: ctx.inputData.n * 2, depth: ctx.depth },
      })),
    );
    h.registry.register(
      'echo',
      exec(async (ctx) => {
        inputs.set(`${ctx.workflowId}/${ctx.nodeId}`, ctx.inputData);
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(wf('double-it', [{ id: 'D', type: 'double' }]));
    await h.engine.registerWorkflow(
      wf('fork', [
        { id: 'L1', type: 'echo' },
        { id: 'L2', type: 'echo' },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('parent', [
        { id: 'A', type: 'source' },
        {
          id: 'S',
          type: 'sub-workflow',
          inputs: ['A'],
          config: {
            workflowId: 'double-it',
            inputMapping: { n: 'input.value.n' },
            outputMapping: { result: 'output.doubled', missing: 'output.nope.deeper' },
          },
        },
        { id: 'F', type: 'sub-workflow', inputs: ['A'], config: { workflowId: 'fork' } },
        { id: 'B', type: 'echo', inputs: ['S', 'F'] },
      ]),
    );
    const completed = record(h.engine, 'node:completed');
    // One worker slot: the children can only run if the waiting parent nodes gave it back.
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('parent', undefined, { priority: 3 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(state.nodeResults.S).toMatchObject({ status: 'completed', data: { result: 42 } });
    expect(state.nodeResults.F).toMatchObject({
      status: 'completed',
      data: { L1: 'L1', L2: 'L2' },
    });
    expect(inputs.get('parent/B')).toEqual({ S: { result: 42 }, F: { L1: 'L1', L2: 'L2' } });
    // Without an input mapping the whole input passes.
    expect(inputs.get('fork/L1')).toEqual({ value: { n: 21 }, other: 'x' });

    const children = await childrenOf(h.engine, id);
    expect(children).toHaveLength(2);
    const child = children.find((c) => c.workflowId === 'double-it')!;
    expect(child).toMatchObject({
      status: 'completed',
      parentExecutionId: id,
      parentNodeId: 'S',
      depth: 1,
      priority: 3,
      tenantId: 'default',
    });
    const full = await h.engine.getExecution(child.executionId);
    expect(full?.initialData).toEqual({ n: 21 });
    expect(full?.nodeResults.D?.data).toEqual({ doubled: 42, depth: 1 });
    await until(
      () => completed.some((e) => e.executionId === id && e.nodeId === 'B'),
      5_000,
      'node:completed of B',
    );
    expect(completed.find((e) => e.executionId === id && e.nodeId === 'S')).toMatchObject({
      nodeType: 'sub-workflow',
      attempt: 1,
    });
    const spans = await h.engine.getTrace(id);
    expect(spans.find((s) => s.nodeId === 'S')).toMatchObject({ status: 'ok' });
    expect(await h.redis.scard(`${h.prefix}:subworkflows`)).toBe(0);
  });

  it('rejects invalid sub-workflow configs at registration', async ({ harness }) => {
    const h = await harness();
    const error = await h.engine
      .registerWorkflow(
        wf('bad', [
          {
            id: 'S',
            type: 'sub-workflow',
            config: { workflowId: 'x', inputMapping: { a: 'output.b' }, outputMapping: { c: 'd' } },
          },
          { id: 'T', type: 'sub-workflow', inputs: ['S'] },
        ]),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    const paths = (error as WorkflowValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      '/nodes/0/config/inputMapping/a',
      '/nodes/0/config/outputMapping/c',
      '/nodes/1/config',
    ]);
  });

  it('fails the parent node when the child fails, through every level, unless continueOnFail', async ({
    harness,
  }) => {
    const h = await harness();
    const tolerated: unknown[] = [];
    h.registry.register(
      'boom',
      exec(async () => {
        throw new NonRetryableError('boom');
      }),
    );
    h.registry.register(
      'after',
      exec(async (ctx) => {
        tolerated.push(ctx.inputData);
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(wf('leaf', [{ id: 'X', type: 'boom' }]));
    await h.engine.registerWorkflow(
      wf('middle', [{ id: 'M', type: 'sub-workflow', config: { workflowId: 'leaf' } }]),
    );
    await h.engine.registerWorkflow(
      wf('top', [
        { id: 'T', type: 'sub-workflow', config: { workflowId: 'middle' } },
        { id: 'N', type: 'after', inputs: ['T'] },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('tolerant', [
        {
          id: 'T',
          type: 'sub-workflow',
          config: { workflowId: 'leaf' },
          continueOnFail: true,
        },
        { id: 'N', type: 'after', inputs: ['T'] },
      ]),
    );
    await h.engine.startWorkers(4);

    const top = await h.engine.enqueueWorkflow('top');
    const topState = await h.engine.waitForExecution(top, { timeoutMs: 10_000 });
    expect(topState.status).toBe('failed');
    expect(topState.nodeResults.T?.status).toBe('failed');
    expect(topState.nodeResults.T?.error).toMatch(/sub-workflow 'middle' .* failed/);
    expect(topState.nodeResults.N?.status).toBe('pending');
    const [middle] = await childrenOf(h.engine, top);
    expect(middle).toMatchObject({ workflowId: 'middle', status: 'failed', depth: 1 });
    const [leaf] = await childrenOf(h.engine, middle!.executionId);
    expect(leaf).toMatchObject({ workflowId: 'leaf', status: 'failed', depth: 2 });
    const dlq = await h.engine.getDLQItems();
    expect(dlq.map((d) => `${d.workflowId}/${d.nodeId}`).sort()).toEqual([
      'leaf/X',
      'middle/M',
      'top/T',
    ]);

    const ok = await h.engine.enqueueWorkflow('tolerant');
    const okState = await h.engine.waitForExecution(ok, { timeoutMs: 10_000 });
    expect(okState.status).toBe('completed');
    expect(okState.nodeResults.T).toMatchObject({ status: 'failed', continuedOnFail: true });
    expect(tolerated).toHaveLength(1);
    expect((tolerated[0] as { error: string }).error).toMatch(
      /sub-workflow 'leaf' .* failed: .*boom/,
    );
  });

  it('checks the depth limit before creating anything', async ({ harness }) => {
    const h = await harness({ limits: { maxDepth: 2 } });
    await h.engine.registerWorkflow(
      wf('recursive', [{ id: 'R', type: 'sub-workflow', config: { workflowId: 'recursive' } }]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('recursive');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');

    const all = await h.engine.listExecutions({ workflowId: 'recursive' });
    expect(all.items.map((e) => e.depth).sort()).toEqual([0, 1, 2]);
    expect(all.items.every((e) => e.status === 'failed')).toBe(true);
    const deepest = all.items.find((e) => e.depth === 2)!;
    const deep = await h.engine.getExecution(deepest.executionId);
    expect(deep?.nodeResults.R?.error).toBe('Sub-workflow depth 3 exceeds the limit of 2');
    expect(deep?.nodeResults.R?.attempts).toBe(1);
  });

  it('cancelling the parent cancels the child; cancelling a child fails its parent node', async ({
    harness,
  }) => {
    const h = await harness();
    const holding = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    const abortedRuns: string[] = [];
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        holding.get((ctx.initialData as { tag: string }).tag)?.resolve();
        await aborted(ctx.signal);
        abortedRuns.push(ctx.executionId);
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(wf('slow', [{ id: 'H', type: 'hold' }]));
    await h.engine.registerWorkflow(
      wf('outer', [{ id: 'S', type: 'sub-workflow', config: { workflowId: 'slow' } }]),
    );
    await h.engine.startWorkers(4);

    holding.set('one', deferred());
    const first = await h.engine.enqueueWorkflow('outer', { tag: 'one' });
    await holding.get('one')!.promise;
    expect((await h.engine.getExecution(first))?.nodeResults.S?.status).toBe('waiting');
    const [child] = await childrenOf(h.engine, first);
    await h.engine.cancelWorkflow(first);
    expect((await h.engine.getExecution(child!.executionId))?.status).toBe('cancelled');
    expect(abortedRuns).toEqual([child!.executionId]);
    expect(await keysOf(h.redis, h.prefix, child!.executionId)).toEqual([]);

    holding.set('two', deferred());
    const second = await h.engine.enqueueWorkflow('outer', { tag: 'two' });
    await holding.get('two')!.promise;
    const [child2] = await childrenOf(h.engine, second);
    await h.engine.cancelWorkflow(child2!.executionId);
    const state = await h.engine.waitForExecution(second, { timeoutMs: 5_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.S?.error).toMatch(/sub-workflow 'slow' .* cancelled/);
  });

  it('runs parents and children across several engines', async ({ harness }) => {
    const h = await harness();
    const registry2 = new NodeRegistry();
    const engine2 = h.peerWith(registry2);
    const runs = new Map<string, number>();
    const step = exec(async (ctx) => {
      const key = `${ctx.executionId}/${ctx.nodeId}`;
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return { success: true, data: (ctx.inputData ?? 0) + 1 };
    });
    h.registry.register('inc', step);
    registry2.register('inc', step);
    await h.engine.registerWorkflow(
      wf('inner', [
        { id: 'I1', type: 'inc' },
        { id: 'I2', type: 'inc', inputs: ['I1'] },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('outer2', [
        { id: 'O1', type: 'inc' },
        { id: 'S', type: 'sub-workflow', inputs: ['O1'], config: { workflowId: 'inner' } },
        { id: 'O2', type: 'inc', inputs: ['S'] },
      ]),
    );
    await h.engine.startWorkers(3);
    await engine2.startWorkers(3);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 20 }, (_, i) => ({ workflowId: 'outer2', initialData: i * 10 })),
    );
    const states = await Promise.all(
      ids.map((id) => engine2.waitForExecution(id, { timeoutMs: 15_000 })),
    );
    expect(states.map((s) => s.status)).toEqual(ids.map(() => 'completed'));
    expect(states.map((s) => s.nodeResults.O2?.data)).toEqual(ids.map((_, i) => i * 10 + 4));
    // 20 parents × 2 nodes + 20 children × 2 nodes, each once.
    expect(runs.size).toBe(80);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('a parent whose child finished while its engine died', () => {
  /**
   * A store whose `completeNode` throws right after committing the call that finishes an
   * execution of `workflowId` (once): for the engine, the same as dying at that instant —
   * the child is finished in the store, its parent was not told. (A SPANE error, which the
   * engine takes as the store's answer: an infrastructure error would be retried, and the
   * retry would find the outcome recorded and tell the parent at once.)
   */
  function dyingAfterChildFinishes(store: ExecutionStore, workflowId: string): ExecutionStore {
    let armed = true;
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'completeNode') {
          return async (...args: Parameters<ExecutionStore['completeNode']>) => {
            const r = await target.completeNode(...args);
            if (armed && r.finished && args[0].workflowId === workflowId) {
              armed = false;
              throw new InvalidArgumentError('died right after the commit');
            }
            return r;
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  async function setup(harness: HarnessFactory, childAttempts: number) {
    const h = await harness();
    h.registry.register(
      'step',
      exec(async (ctx) => ({ success: true, data: `${ctx.nodeId}!` })),
    );
    const engine = new WorkflowEngine(
      h.registry,
      dyingAfterChildFinishes(h.store, 'kid'),
      h.redis,
      { ...TEST_TIMINGS, prefix: h.prefix, reconcileIntervalMs: 0, logger: silentLogger },
    );
    extra.push(engine);
    await engine.registerWorkflow(
      wf('kid', [{ id: 'K', type: 'step', retry: { attempts: childAttempts } }]),
    );
    await engine.registerWorkflow(
      wf('mum', [
        { id: 'S', type: 'sub-workflow', config: { workflowId: 'kid' } },
        { id: 'N', type: 'step', inputs: ['S'] },
      ]),
    );
    await engine.startWorkers(2);
    return { h, engine };
  }

  it('the re-run of the job that finished the child tells the parent', async ({ harness }) => {
    const { engine } = await setup(harness, 3);
    const id = await engine.enqueueWorkflow('mum');
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.S?.data).toBe('K!');
    expect(state.nodeResults.N?.data).toBe('N!');
  });

  it('the reconciler tells the parent when the job is gone', async ({ harness }) => {
    const { h, engine } = await setup(harness, 1);
    const id = await engine.enqueueWorkflow('mum');
    await until(async () => (await childrenOf(engine, id))[0]?.status === 'completed', 5_000);
    const [child] = await childrenOf(engine, id);
    // The job that finished the child failed for good (no attempts left): nothing runs it again.
    await until(
      async () =>
        (await jobsIn(h.redis, h.prefix, 'failed')).includes(nodeJobId(child!.executionId, 'K')),
      5_000,
      'the child job to fail',
    );
    expect((await engine.getExecution(id))?.nodeResults.S?.status).toBe('waiting');

    const result = await engine.reconcile();
    expect(result.subWorkflowsChecked).toBe(1);
    const state = await engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.S?.data).toBe('K!');
    expect(await h.redis.scard(`${h.prefix}:subworkflows`)).toBe(0);
  });
});
