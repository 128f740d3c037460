import type { CompleteNodeOptions, ExecutionStore } from '@spane/core';
import { describe, expect } from 'vitest';
import { chainPlan, continueOnFailPlan, diamondPlan, failurePlan } from '../fixtures.js';
import {
  begin,
  expectTimestamp,
  mustGet,
  nodeStatuses,
  runNode,
  saveAndCreate,
  sorted,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { concurrentJoinStartTest, joinStartTests } from './start-on-complete-joins.js';
import {
  completeStarting,
  expectStarted,
  startedOf,
  startsNodesIt,
} from './start-on-complete-support.js';

/**
 * The `start` options of completeNode and createExecution: ready children, and entry nodes,
 * started (running, attempt 1) in the same write. Joins, fan-outs and `nextNodes` are in
 * `start-on-complete-joins.ts`.
 */
export function startOnCompleteSuite(ctx: SuiteContext): void {
  const it = startsNodesIt(ctx);

  describe('start-on-complete', () => {
    it('createExecution with start creates the named entry nodes running and the execution running', () =>
      createStartsEntryNodes(ctx.store()));
    it('createExecution without start, or naming no entry node, creates a pending execution with queued entries', () =>
      createWithoutStartQueuesEntries(ctx.store()));
    it('createExecution with start and a known idempotency key starts nothing', () =>
      createWithKnownKeyStartsNothing(ctx.store()));
    it('a child named in start is started instead of queued; beginNodeRun(…, 1) still accepts it', () =>
      childNamedInStartIsStarted(ctx.store()));
    it('a started node can be completed without another beginNodeRun, and may start its own child', () =>
      startedNodeCompletesWithoutBegin(ctx.store()));
    it('without start, with an empty start or with start naming no ready node, children are queued', () =>
      childrenQueuedWithoutStart(ctx.store()));
    joinStartTests(ctx, it);
    it('a continueOnFail failure starts the children named in start', () =>
      continueOnFailStartsChildren(ctx.store()));
    it('in a paused execution a ready child named in start is queued, not started', () =>
      pausedExecutionQueuesChild(ctx.store()));
    it('an outcome that is not recorded starts nothing and changes nothing', () =>
      unrecordedOutcomeStartsNothing(ctx.store()));
    it('a hard failure starts nothing: the execution fails and its active nodes are cancelled', () =>
      hardFailureStartsNothing(ctx.store()));
    concurrentJoinStartTest(ctx, it);
  });
}

async function createStartsEntryNodes(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  const created = await saveAndCreate(store, plan, {
    initialData: { seed: 3 },
    // B is not an entry node: ignored.
    start: ['A', 'B'],
  });
  expect(created).toMatchObject({ created: true, ready: ['A'], started: ['A'] });
  expect(created.execution.status).toBe('running');
  expectTimestamp(created.execution.startedAt);
  expectStarted(created.execution, 'A');
  const id = created.execution.executionId;
  const state = await mustGet(store, id);
  expect(state.status).toBe('running');
  expectTimestamp(state.startedAt);
  expect(nodeStatuses(state)).toEqual({
    A: 'running',
    B: 'pending',
    C: 'pending',
    D: 'pending',
  });
  expectStarted(state, 'A');

  // Its job begins the run it was started for (or re-runs it after a crash).
  const a = await store.beginNodeRun(plan, id, 'A', 1);
  expect(a).toMatchObject({ started: true, attempt: 1, inputData: { seed: 3 } });
  await store.completeNode(plan, id, 'A', { type: 'completed', data: 'a' });
  for (const n of ['B', 'C', 'D']) await runNode(store, plan, id, n, { type: 'completed' });
  expect((await mustGet(store, id)).status).toBe('completed');
}

async function createWithoutStartQueuesEntries(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  for (const start of [undefined, [], ['B', 'D']]) {
    const created = await saveAndCreate(store, plan, start === undefined ? {} : { start });
    expect(created.ready, String(start)).toEqual(['A']);
    expect(startedOf(created), String(start)).toEqual([]);
    const state = await mustGet(store, created.execution.executionId);
    expect(state.status).toBe('pending');
    expect(state.startedAt).toBeUndefined();
    expect(nodeStatuses(state)).toEqual({
      A: 'queued',
      B: 'pending',
      C: 'pending',
      D: 'pending',
    });
    expect(state.nodeResults.A?.attempts).toBe(0);
  }
}

async function createWithKnownKeyStartsNothing(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const idempotencyKey = uid('key');
  const first = await saveAndCreate(store, plan, { idempotencyKey });
  const again = await store.createExecution({ plan, idempotencyKey, start: ['A'] });
  expect(again).toMatchObject({ created: false, ready: [] });
  expect(again.execution.executionId).toBe(first.execution.executionId);
  expect(startedOf(again)).toEqual([]);
  const state = await mustGet(store, first.execution.executionId);
  expect(state.status).toBe('pending');
  expect(state.nodeResults.A).toMatchObject({ status: 'queued', attempts: 0 });
}

async function childNamedInStartIsStarted(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await begin(store, plan, id, 'A');

  const a = await completeStarting(
    store,
    plan,
    id,
    'A',
    { type: 'completed', data: { fromA: 1 } },
    ['B'],
  );
  expect(a).toMatchObject({
    recorded: true,
    ready: ['B'],
    skipped: [],
    executionStatus: 'running',
    finished: false,
  });
  expect(a.started).toEqual(['B']);
  let state = await mustGet(store, id);
  expect(nodeStatuses(state)).toEqual({ A: 'completed', B: 'running', C: 'pending' });
  expectStarted(state, 'B');
  expect(state.nodeResults.C?.attempts ?? 0).toBe(0);

  // The child's job begins the run it was started for (or re-runs it after a crash).
  const b = await store.beginNodeRun(plan, id, 'B', 1);
  expect(b).toMatchObject({ started: true, attempt: 1, inputData: { fromA: 1 } });
  if (b.started) expect(b.previousResults).toEqual({ A: { success: true, data: { fromA: 1 } } });
  state = await mustGet(store, id);
  expect(state.nodeResults.B).toMatchObject({ status: 'running', attempts: 1 });

  const bDone = await store.completeNode(plan, id, 'B', { type: 'completed', data: 'b' });
  expect(bDone).toMatchObject({ recorded: true, ready: ['C'], finished: false });
  expect(startedOf(bDone)).toEqual([]);
  expect((await mustGet(store, id)).nodeResults.C?.status).toBe('queued');
  const c = await runNode(store, plan, id, 'C', { type: 'completed', data: 'c' });
  expect(c).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
  state = await mustGet(store, id);
  expect(state.status).toBe('completed');
  expect(nodeStatuses(state)).toEqual({ A: 'completed', B: 'completed', C: 'completed' });
  expect(state.nodeResults.B).toMatchObject({ data: 'b', attempts: 1 });
}

async function startedNodeCompletesWithoutBegin(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await begin(store, plan, id, 'A');
  const a = await completeStarting(store, plan, id, 'A', { type: 'completed' }, ['B']);
  expect(a.started).toEqual(['B']);
  const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, ['C']);
  expect(b).toMatchObject({ recorded: true, ready: ['C'], finished: false });
  expect(b.started).toEqual(['C']);
  let state = await mustGet(store, id);
  expect(state.nodeResults.B).toMatchObject({ status: 'completed', data: 'b', attempts: 1 });
  expectStarted(state, 'C');

  const c = await completeStarting(store, plan, id, 'C', { type: 'completed' }, ['A']);
  expect(c).toMatchObject({ recorded: true, ready: [], finished: true });
  expect(startedOf(c)).toEqual([]);
  state = await mustGet(store, id);
  expect(state.status).toBe('completed');
  expect(nodeStatuses(state)).toEqual({ A: 'completed', B: 'completed', C: 'completed' });
}

async function childrenQueuedWithoutStart(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const variants: (CompleteNodeOptions | undefined)[] = [
    undefined,
    {},
    { start: [] },
    { start: ['C', 'A', 'nope'] },
  ];
  for (const options of variants) {
    const id = (await saveAndCreate(store, plan)).execution.executionId;
    await begin(store, plan, id, 'A');
    const a = await store.completeNode(
      plan,
      id,
      'A',
      { type: 'completed', data: 1 },
      undefined,
      options,
    );
    const label = JSON.stringify(options);
    expect(a, label).toMatchObject({ recorded: true, ready: ['B'], finished: false });
    expect(startedOf(a), label).toEqual([]);
    const state = await mustGet(store, id);
    expect(nodeStatuses(state), label).toEqual({ A: 'completed', B: 'queued', C: 'pending' });
    expect(state.nodeResults.B?.attempts ?? 0, label).toBe(0);
    expect(state.nodeResults.B?.startedAt, label).toBeUndefined();
    expect(await store.beginNodeRun(plan, id, 'B'), label).toMatchObject({
      started: true,
      attempt: 1,
    });
  }
}

async function continueOnFailStartsChildren(store: ExecutionStore): Promise<void> {
  const plan = continueOnFailPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await runNode(store, plan, id, 'A', { type: 'completed', data: 'a' });
  await begin(store, plan, id, 'B');
  const b = await completeStarting(store, plan, id, 'B', { type: 'failed', error: 'boom' }, ['C']);
  expect(b).toMatchObject({
    recorded: true,
    ready: ['C'],
    skipped: [],
    executionStatus: 'running',
    finished: false,
  });
  expect(b.started).toEqual(['C']);
  const state = await mustGet(store, id);
  expect(state.nodeResults.B).toMatchObject({
    status: 'failed',
    error: 'boom',
    continuedOnFail: true,
  });
  expectStarted(state, 'C');

  expect(await store.beginNodeRun(plan, id, 'C', 1)).toMatchObject({
    started: true,
    attempt: 1,
    inputData: { error: 'boom' },
  });
  const done = await store.completeNode(plan, id, 'C', { type: 'completed' });
  expect(done).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
}

async function pausedExecutionQueuesChild(store: ExecutionStore): Promise<void> {
  for (const nextNodes of [undefined, ['B']]) {
    // Both write paths: every edge fires (one round trip) and a selection (two).
    const plan = chainPlan(uid('wf'));
    const id = (await saveAndCreate(store, plan)).execution.executionId;
    await begin(store, plan, id, 'A');
    await store.setExecutionStatus(id, 'paused');
    const outcome = { type: 'completed' as const, data: 'a', ...(nextNodes && { nextNodes }) };
    const a = await completeStarting(store, plan, id, 'A', outcome, ['B']);
    expect(a).toMatchObject({ recorded: true, ready: ['B'], executionStatus: 'paused' });
    expect(startedOf(a), `nextNodes ${String(nextNodes)}`).toEqual([]);
    const state = await mustGet(store, id);
    expect(nodeStatuses(state)).toEqual({ A: 'completed', B: 'queued', C: 'pending' });
    expect(state.nodeResults.B?.attempts ?? 0).toBe(0);
  }
}

async function unrecordedOutcomeStartsNothing(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await begin(store, plan, id, 'A');
  const first = await store.completeNode(plan, id, 'A', { type: 'completed', data: 1 });
  expect(sorted(first.ready)).toEqual(['B', 'C']);
  const before = await mustGet(store, id);
  expect(nodeStatuses(before)).toEqual({
    A: 'completed',
    B: 'queued',
    C: 'queued',
    D: 'pending',
  });

  for (const outcome of [
    { type: 'completed', data: 2 },
    { type: 'completed', data: 3, nextNodes: ['B'] },
    { type: 'failed', error: 'late' },
  ] as const) {
    const again = await store.completeNode(plan, id, 'A', outcome, undefined, {
      start: ['B', 'C', 'D'],
    });
    expect(again, outcome.type).toMatchObject({
      recorded: false,
      ready: [],
      skipped: [],
      executionStatus: 'running',
      finished: false,
    });
    expect(startedOf(again), outcome.type).toEqual([]);
  }
  expect(await mustGet(store, id)).toEqual(before);

  // Not recorded because the execution was cancelled: nothing starts either.
  const chain = chainPlan(uid('wf'));
  const cancelledId = (await saveAndCreate(store, chain)).execution.executionId;
  await begin(store, chain, cancelledId, 'A');
  await store.setExecutionStatus(cancelledId, 'cancelled');
  const cancelledBefore = await mustGet(store, cancelledId);
  const late = await store.completeNode(chain, cancelledId, 'A', { type: 'completed' }, undefined, {
    start: ['B'],
  });
  expect(late).toMatchObject({ recorded: false, ready: [], executionStatus: 'cancelled' });
  expect(startedOf(late)).toEqual([]);
  expect(await mustGet(store, cancelledId)).toEqual(cancelledBefore);
}

async function hardFailureStartsNothing(store: ExecutionStore): Promise<void> {
  const plan = failurePlan(uid('wf')); // A → B, C, D, F, G; B → E
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await runNode(store, plan, id, 'A');
  await begin(store, plan, id, 'B');
  await begin(store, plan, id, 'C');
  const failed = await completeStarting(store, plan, id, 'B', { type: 'failed', error: 'fatal' }, [
    'E',
    'D',
  ]);
  expect(failed).toMatchObject({
    recorded: true,
    ready: [],
    skipped: [],
    executionStatus: 'failed',
    finished: true,
  });
  expect(startedOf(failed)).toEqual([]);
  const state = await mustGet(store, id);
  expect(state.status).toBe('failed');
  expect(nodeStatuses(state)).toEqual({
    A: 'completed',
    B: 'failed',
    C: 'cancelled',
    D: 'cancelled',
    F: 'cancelled',
    G: 'cancelled',
    E: 'pending',
  });
  expect(state.nodeResults.E?.attempts ?? 0).toBe(0);
  expect(state.nodeResults.E?.startedAt).toBeUndefined();
  expect((await store.beginNodeRun(plan, id, 'E', 1)).started).toBe(false);
}
