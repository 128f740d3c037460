import type { ExecutionContext, ExecutionStore } from '@spane/core';
import { Queue } from 'bullmq';
import { afterEach, describe, expect } from 'vitest';
import { MAX_JOIN_PARENTS } from '../src/join-inputs.js';
import { nodeJobId } from '../src/node-jobs.js';
import { NODE_QUEUE } from '../src/node-queues.js';
import { registerStep } from './support/carried-shapes.js';
import { exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoNodeId } from './support/stock-executors.js';

// A child whose only parent completes in this process, while a worker slot here is free,
// is started by the parent's completion (`completeNode(…, { start })`) and handed to this
// process's worker: its job skips `beginNodeRun`.
//
// Tests of a handed-off child's own job turn carried runs off (`maxCarriedRuns: 0`): with
// them, A's job would run B itself (see carried-runs.test.ts).
const NO_CARRY = { maxCarriedRuns: 0 };

let queue: Queue | undefined;
afterEach(async () => {
  await queue?.close();
  queue = undefined;
});

/** The nodes whose runs the engine began through the store (the real store, watched). */
function watchBegins(store: ExecutionStore): string[] {
  const begun: string[] = [];
  const begin = store.beginNodeRun.bind(store);
  store.beginNodeRun = (plan, executionId, nodeId, attempt) => {
    begun.push(nodeId);
    return begin(plan, executionId, nodeId, attempt);
  };
  return begun;
}

/**
 * Runs `A → B` until A's completion has started B and handed it to this process, with the
 * node queue paused by A (workers take no job until the test resumes it): B's job waits.
 */
async function handOffWhileQueuePaused(
  harness: Harness,
): Promise<{ id: string; runs: string[]; nodeQueue: Queue }> {
  const nodeQueue = new Queue(NODE_QUEUE, { connection: harness.redis, prefix: harness.prefix });
  queue = nodeQueue;
  const runs: string[] = [];
  harness.registry.register(
    'step',
    exec(async (ctx) => {
      runs.push(ctx.nodeId);
      if (ctx.nodeId === 'A') await nodeQueue.pause();
      return { success: true, data: `${ctx.nodeId}:${String(ctx.inputData)}` };
    }),
  );
  await harness.engine.registerWorkflow(
    wf('two', [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'step', inputs: ['A'] },
    ]),
  );
  await harness.engine.startWorkers(2);
  const id = await harness.engine.enqueueWorkflow('two', 'seed');
  await until(
    async () => (await harness.engine.getExecution(id))?.nodeResults.B?.status === 'running',
    5_000,
    'B started by A',
  );
  return { id, runs, nodeQueue };
}

type Seen = Pick<
  ExecutionContext,
  'inputData' | 'previousResults' | 'initialData' | 'attempt' | 'depth' | 'tenantId'
>;

/** A copy of what a run was given, as a begin in the store would give it. */
function seenOf(ctx: ExecutionContext): Seen {
  const { inputData, previousResults, initialData, attempt, depth, tenantId } = ctx;
  return structuredClone({ inputData, previousResults, initialData, attempt, depth, tenantId });
}

describe('children started with their parent', () => {
  it('a chain begins no node in the store, and every node runs once', async ({ harness }) => {
    const h = await harness();
    const begun = watchBegins(h.store);
    const runs = registerStep(h);
    await h.engine.registerWorkflow(
      wf('chain', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
        { id: 'D', type: 'step', inputs: ['C'] },
      ]),
    );
    // One slot: the parent's own slot, freed as it finishes, runs the child.
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('chain', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(runs).toEqual(['A', 'B', 'C', 'D']);
    // The entry node starts with the execution, each child with its parent's completion.
    expect(begun).toEqual([]);
    expect(state.nodeResults.D?.data).toEqual({ n: 4 });
    for (const node of ['A', 'B', 'C', 'D']) {
      const n = state.nodeResults[node]!;
      expect(n, node).toMatchObject({ status: 'completed', attempts: 1 });
      expect(Date.parse(n.startedAt!), node).toBeLessThanOrEqual(Date.parse(n.finishedAt!));
    }
  });

  it('a handed-off child sees what a store begin gives: fresh copies, the initial data as enqueued', async ({
    harness,
  }) => {
    const h = await harness();
    const begun = watchBegins(h.store);
    const seen = new Map<string, Seen>();
    const given = new Map<string, ExecutionContext>();
    const keep = (ctx: ExecutionContext): void => {
      given.set(ctx.nodeId, ctx);
      seen.set(ctx.nodeId, seenOf(ctx));
    };
    h.registry.register(
      'source',
      exec(async (ctx) => {
        keep(ctx);
        // Changing what it was given must not reach its children.
        (ctx.initialData as { seed: number[] }).seed.push(99);
        return { success: true, data: { x: 1, nested: { y: [2] } } };
      }),
    );
    h.registry.register(
      'sink',
      exec(async (ctx) => {
        keep(ctx);
        (ctx.inputData as { nested?: { y: number[] } }).nested?.y.push(7);
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(
      wf('fan', [
        { id: 'A', type: 'source' },
        { id: 'B', type: 'sink', inputs: ['A'] },
        { id: 'C', type: 'sink', inputs: ['A'] },
        { id: 'J', type: 'sink', inputs: ['B', 'C'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('fan', { seed: [1] });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    // A started with the execution, B and C with A's completion; the join J with the
    // completion of whichever of B and C was last — or, when that one could not tell the
    // other's output was recorded here, in the store (see the join tests below).
    expect(begun.filter((n) => n !== 'J')).toEqual([]);
    expect(seen.get('A')).toEqual({
      inputData: { seed: [1] },
      previousResults: {},
      initialData: { seed: [1] },
      attempt: 1,
      depth: 0,
      tenantId: seen.get('A')?.tenantId,
    });
    expect(given.get('A')?.inputData).toBe(given.get('A')?.initialData);
    for (const child of ['B', 'C']) {
      expect(seen.get(child), child).toEqual({
        inputData: { x: 1, nested: { y: [2] } },
        previousResults: { A: { success: true, data: { x: 1, nested: { y: [2] } } } },
        initialData: { seed: [1] },
        attempt: 1,
        depth: 0,
        tenantId: seen.get('A')?.tenantId,
      });
    }
    const [b, c] = [given.get('B')!, given.get('C')!];
    expect(b.inputData).not.toBe(c.inputData);
    expect(b.initialData).not.toBe(c.initialData);
    // One object per run, as a store begin returns it.
    expect(b.inputData).toBe(b.previousResults.A?.data);
    expect(seen.get('J')?.inputData).toEqual({ B: 'B', C: 'C' });
  });

  it('node types with limits, unregistered types and maxConcurrency workflows begin in the store', async ({
    harness,
  }) => {
    const h = await harness();
    const begun = watchBegins(h.store);
    h.registry.register('step', echoNodeId);
    h.registry.register('limited', echoNodeId, { concurrency: 5 });
    await h.engine.registerWorkflow(
      wf('mixed', [
        { id: 'A', type: 'step' },
        { id: 'L', type: 'limited', inputs: ['A'] },
        { id: 'S', type: 'step', inputs: ['A'] },
        { id: 'J', type: 'step', inputs: ['L', 'S'] },
      ]),
    );
    await h.engine.registerWorkflow(
      wf(
        'capped',
        [
          { id: 'A', type: 'step' },
          { id: 'B', type: 'step', inputs: ['A'] },
        ],
        { maxConcurrency: 3 },
      ),
    );
    await h.engine.startWorkers(4);
    const mixed = await h.engine.enqueueWorkflow('mixed');
    expect((await h.engine.waitForExecution(mixed, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    // The join J may start with its last parent's completion (see the join tests below).
    expect(begun.filter((n) => n !== 'J')).toEqual(['L']);
    begun.length = 0;
    const capped = await h.engine.enqueueWorkflow('capped');
    expect((await h.engine.waitForExecution(capped, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    expect(begun).toEqual(['A', 'B']);
    // A delayed start does not start its entry node with the execution.
    begun.length = 0;
    const delayed = await h.engine.enqueueWorkflow('mixed', undefined, { delayMs: 50 });
    expect((await h.engine.getExecution(delayed))?.nodeResults.A?.status).toBe('queued');
    expect((await h.engine.waitForExecution(delayed, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    expect(begun.filter((n) => n !== 'J').sort()).toEqual(['A', 'L']);
  });

  it('a pause before the handed-off child reaches a worker parks it; it runs after resume', async ({
    harness,
  }) => {
    const h = await harness(NO_CARRY);
    const { id, runs, nodeQueue } = await handOffWhileQueuePaused(h);
    await h.engine.pauseWorkflow(id);
    await nodeQueue.resume();
    await until(
      async () => (await h.redis.sismember(`${h.prefix}:parked:${id}`, nodeJobId(id, 'B'))) === 1,
      5_000,
      'B to be parked',
    );
    const during = await h.engine.getExecution(id);
    expect(during?.status).toBe('paused');
    expect(during?.nodeResults.B?.status).toBe('queued');
    expect(runs).toEqual(['A']);

    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(runs).toEqual(['A', 'B']);
    expect(state.nodeResults.B).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a child handed to a process that closes runs in another process after a store begin', async ({
    harness,
  }) => {
    const h = await harness(NO_CARRY);
    const begun = watchBegins(h.store);
    const { id, runs, nodeQueue } = await handOffWhileQueuePaused(h);
    await h.engine.close();
    const peer = h.peer();
    await peer.startWorkers(2);
    await nodeQueue.resume();
    const state = await peer.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(runs).toEqual(['A', 'B']);
    expect(begun).toEqual(['B']);
    expect(state.nodeResults.B).toMatchObject({
      status: 'completed',
      attempts: 1,
      data: 'B:A:seed',
    });
  });

  it('a handoff made before the subscriber lost its connection is not taken: the job begins in the store', async ({
    harness,
  }) => {
    // A Redis of this test's own: the test drops its pub/sub connections.
    const h = await harness(NO_CARRY, { privateRedis: true });
    const begun = watchBegins(h.store);
    const { id, runs, nodeQueue } = await handOffWhileQueuePaused(h);
    // Abort orders published while it reconnects would be missed.
    await h.redis.client('KILL', 'TYPE', 'pubsub');
    await until(
      async () =>
        ((await h.redis.pubsub('NUMSUB', `${h.prefix}:channel`)) as [string, number])[1] === 1,
      5_000,
      'the subscriber to be back',
    );
    await nodeQueue.resume();
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(runs).toEqual(['A', 'B']);
    expect(begun).toEqual(['B']);
  });
});

describe('joins started with their last parent', () => {
  it('a join whose other parents completed here starts with its last parent: no store begin, the input a begin gives', async ({
    harness,
  }) => {
    const h = await harness();
    const begun = watchBegins(h.store);
    const seen = new Map<string, Seen>();
    let executionId = '';
    h.registry.register(
      'step',
      exec(async (ctx) => {
        seen.set(ctx.nodeId, seenOf(ctx));
        // B completes last: once C's completion is in the store.
        if (ctx.nodeId === 'B') {
          await until(
            async () =>
              (await h.engine.getExecution(executionId))?.nodeResults.C?.status === 'completed',
            5_000,
            'C completed',
          );
        }
        return { success: true, data: { from: ctx.nodeId } };
      }),
    );
    await h.engine.registerWorkflow(
      wf('diamond', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['A'] },
        { id: 'J', type: 'step', inputs: ['B', 'C'] },
      ]),
    );
    await h.engine.startWorkers(4);
    executionId = await h.engine.enqueueWorkflow('diamond', { seed: 1 });
    const state = await h.engine.waitForExecution(executionId, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(begun).toEqual([]);
    expect(seen.get('J')).toEqual({
      inputData: { B: { from: 'B' }, C: { from: 'C' } },
      previousResults: {
        B: { success: true, data: { from: 'B' } },
        C: { success: true, data: { from: 'C' } },
      },
      initialData: { seed: 1 },
      attempt: 1,
      depth: 0,
      tenantId: seen.get('A')?.tenantId,
    });
    for (const node of ['A', 'B', 'C', 'J']) {
      expect(state.nodeResults[node], node).toMatchObject({ status: 'completed', attempts: 1 });
    }
  });

  it('a join of more parents than MAX_JOIN_PARENTS begins in the store, with every input', async ({
    harness,
  }) => {
    const h = await harness();
    const begun = watchBegins(h.store);
    h.registry.register('step', echoNodeId);
    const parents = Array.from({ length: MAX_JOIN_PARENTS + 1 }, (_, i) => `P${i}`);
    await h.engine.registerWorkflow(
      wf('wide', [
        { id: 'A', type: 'step' },
        ...parents.map((id) => ({ id, type: 'step', inputs: ['A'] })),
        { id: 'J', type: 'step', inputs: parents },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('wide');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 20_000 });
    expect(state.status).toBe('completed');
    expect(begun).toContain('J');
    expect(state.nodeResults.J).toMatchObject({ status: 'completed', attempts: 1 });
  });
});
