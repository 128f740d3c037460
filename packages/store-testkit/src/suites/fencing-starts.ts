import { type ExecutionStore, startedRunToken } from '@spane/core';
import { expect } from 'vitest';
import { branchPlan, chainPlan, diamondPlan } from '../fixtures.js';
import { mustGet, saveAndCreate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { beginAs, comparable, completeAs, expectFenced, token } from './fencing-support.js';
import { startsNodesIt } from './start-on-complete-support.js';

/**
 * The fencing tests of nodes started by another run's write (`createExecution` and
 * `completeNode` with `start` and `runToken`): each started node is held by
 * `startedRunToken(runToken, nodeId)`, which its job presents to `beginNodeRun` to find its
 * run begun (attempt 1, unchanged); any other token is a second run (attempt 2).
 * Run for a store that declares `capabilities.startsNodes`.
 */
export function fencedStartTests(ctx: SuiteContext): void {
  const it = startsNodesIt(ctx);
  it('createExecution with start and runToken: the started node is held by startedRunToken', () =>
    createdStartedNodeIsHeld(ctx.store()));
  it('createExecution with start and no runToken: the started node is held by no run', () =>
    createdStartedNodeWithoutToken(ctx.store()));
  it('completeNode with start and runToken: each started child is held by startedRunToken', () =>
    completedStartedChildrenAreHeld(ctx.store()));
  it('completeNode with nextNodes, start and runToken: the started child is held too', () =>
    selectedStartedChildIsHeld(ctx.store()));
}

async function createdStartedNodeIsHeld(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const creator = token();
  const started = startedRunToken(creator, 'A');
  const created = await saveAndCreate(store, plan, { start: ['A'], runToken: creator });
  expect(created.started).toEqual(['A']);
  const id = created.execution.executionId;
  const before = await mustGet(store, id);
  // The started node's job finds its run begun: attempt 1, nothing changed.
  expect((await beginAs(store, plan, id, 'A', started, 1)).attempt).toBe(1);
  expect((await beginAs(store, plan, id, 'A', started)).attempt).toBe(1);
  expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
  // Another token is a second run: attempt 2, and the started run is fenced out.
  const other = token();
  expect((await beginAs(store, plan, id, 'A', other, 1)).attempt).toBe(2);
  expectFenced(await completeAs(store, plan, id, 'A', started));
  expect(await completeAs(store, plan, id, 'A', other)).toMatchObject({
    recorded: true,
    ready: ['B'],
  });

  // The creator's own token does not hold the node: only the derived one does.
  const again = await saveAndCreate(store, plan, { start: ['A'], runToken: creator });
  const againId = again.execution.executionId;
  expect((await beginAs(store, plan, againId, 'A', creator)).attempt).toBe(2);
  expectFenced(await completeAs(store, plan, againId, 'A', started));
}

async function createdStartedNodeWithoutToken(store: ExecutionStore): Promise<void> {
  const plan = chainPlan(uid('wf'));
  const created = await saveAndCreate(store, plan, { start: ['A'] });
  const id = created.execution.executionId;
  // Held by no run: a tokened begin is a new run of it, any run's completion is accepted.
  expect((await beginAs(store, plan, id, 'A', token(), 1)).attempt).toBe(2);
  const plain = await saveAndCreate(store, plan, { start: ['A'] });
  const plainId = plain.execution.executionId;
  expect((await completeAs(store, plan, plainId, 'A', token())).recorded).toBe(true);
}

async function completedStartedChildrenAreHeld(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  const runA = token();
  await beginAs(store, plan, id, 'A', runA);
  const a = await store.completeNode(plan, id, 'A', { type: 'completed' }, undefined, {
    start: ['B', 'C'],
    runToken: runA,
  });
  expect([...(a.started ?? [])].sort()).toEqual(['B', 'C']);
  const [runB, runC] = [startedRunToken(runA, 'B'), startedRunToken(runA, 'C')];
  const before = await mustGet(store, id);
  expect((await beginAs(store, plan, id, 'B', runB)).attempt).toBe(1);
  expect((await beginAs(store, plan, id, 'C', runC, 1)).attempt).toBe(1);
  expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
  // A's token, or B's on C, does not hold them.
  expectFenced(await completeAs(store, plan, id, 'B', runA));
  expectFenced(await completeAs(store, plan, id, 'C', runB));
  expect((await completeAs(store, plan, id, 'B', runB)).recorded).toBe(true);

  // The join started by its last parent is held by that parent's derived token.
  const c = await store.completeNode(plan, id, 'C', { type: 'completed' }, undefined, {
    start: ['D'],
    runToken: runC,
  });
  expect(c).toMatchObject({ recorded: true, ready: ['D'], started: ['D'] });
  const runD = startedRunToken(runC, 'D');
  expect((await beginAs(store, plan, id, 'D', runD, 1)).attempt).toBe(1);
  const other = token();
  expect((await beginAs(store, plan, id, 'D', other)).attempt).toBe(2);
  expectFenced(await completeAs(store, plan, id, 'D', runD));
  expect(await completeAs(store, plan, id, 'D', other)).toMatchObject({
    recorded: true,
    finished: true,
  });
}

async function selectedStartedChildIsHeld(store: ExecutionStore): Promise<void> {
  const plan = branchPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  const runA = token();
  await beginAs(store, plan, id, 'A', runA);
  const a = await store.completeNode(
    plan,
    id,
    'A',
    { type: 'completed', nextNodes: ['B'] },
    undefined,
    { start: ['B'], runToken: runA },
  );
  expect(a).toMatchObject({ recorded: true, ready: ['B'], started: ['B'] });
  const runB = startedRunToken(runA, 'B');
  const before = await mustGet(store, id);
  expect((await beginAs(store, plan, id, 'B', runB, 1)).attempt).toBe(1);
  expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
  expectFenced(await completeAs(store, plan, id, 'B', token()));
  expect((await completeAs(store, plan, id, 'B', runB)).recorded).toBe(true);
}
