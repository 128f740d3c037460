import type { ExecutionStore } from '@spane/core';
import { expect } from 'vitest';
import {
  branchPlan,
  diamondPlan,
  failurePlan,
  fanInJoin,
  fanInParent,
  fanInPlan,
} from '../fixtures.js';
import {
  begin,
  count,
  mustGet,
  nodeStatuses,
  runNode,
  saveAndCreate,
  sorted,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';
import {
  completeStarting,
  expectStarted,
  type StartsNodesIt,
  startedOf,
} from './start-on-complete-support.js';

const TIMEOUT = 120_000;

const byNode = (s: { nodeId: string }) => s.nodeId;

/** Tests of the `start-on-complete` suite: starting joins, fan-outs and `nextNodes` selections. */
export function joinStartTests(ctx: SuiteContext, it: StartsNodesIt): void {
  it('a join named in start is untouched until its last parent completes, which starts it', () =>
    joinStartedByLastParent(ctx.store()));
  it('of a fan-out only the children named in start are started; the others are queued', () =>
    fanOutStartsNamedChildren(ctx.store()));
  it('with nextNodes selecting a subset, the selected children named in start are started and skipped ones are not', () =>
    nextNodesStartSelectedChildren(ctx.store()));
  it('a join made ready by a completion that selects none of its children is started', () =>
    joinReadiedBySelectingNoneIsStarted(ctx.store()));
}

/**
 * The test of the `start-on-complete` suite that completes the parents of many joins at once:
 * only the completion that readies a join, and asked to, may start it.
 */
export function concurrentJoinStartTest(ctx: SuiteContext, it: StartsNodesIt): void {
  it(
    `of concurrent completions of join parents, only the one that readies a join and asked may start it, and is told (${ctx.joins} joins × ${ctx.joinParents} parents)`,
    () => concurrentJoinParentsStartOnce(ctx),
    TIMEOUT,
  );
}

async function joinStartedByLastParent(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await runNode(store, plan, id, 'A', { type: 'completed', data: 'a' });
  await begin(store, plan, id, 'B');
  await begin(store, plan, id, 'C');

  const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, ['D']);
  expect(b).toMatchObject({ recorded: true, ready: [], skipped: [], finished: false });
  expect(startedOf(b)).toEqual([]);
  let state = await mustGet(store, id);
  expect(nodeStatuses(state)).toEqual({
    A: 'completed',
    B: 'completed',
    C: 'running',
    D: 'pending',
  });
  expect(state.nodeResults.D?.attempts ?? 0).toBe(0);
  expect(state.nodeResults.D?.startedAt).toBeUndefined();

  const c = await completeStarting(store, plan, id, 'C', { type: 'completed', data: 'c' }, ['D']);
  expect(c).toMatchObject({ recorded: true, ready: ['D'], skipped: [], finished: false });
  expect(c.started).toEqual(['D']);
  state = await mustGet(store, id);
  expect(state.nodeResults.C?.status).toBe('completed');
  expectStarted(state, 'D');

  const d = await store.beginNodeRun(plan, id, 'D', 1);
  expect(d).toMatchObject({ started: true, attempt: 1, inputData: { B: 'b', C: 'c' } });
  const done = await store.completeNode(plan, id, 'D', { type: 'completed' });
  expect(done).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
}

async function fanOutStartsNamedChildren(store: ExecutionStore): Promise<void> {
  const plan = failurePlan(uid('wf')); // A → B, C, D, F, G; B → E
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await begin(store, plan, id, 'A');
  const a = await completeStarting(store, plan, id, 'A', { type: 'completed' }, ['C', 'F', 'E']);
  expect(a.recorded).toBe(true);
  expect(sorted(a.ready)).toEqual(['B', 'C', 'D', 'F', 'G']);
  expect(sorted(a.started ?? [])).toEqual(['C', 'F']);
  expect(a.started).toHaveLength(2);
  const state = await mustGet(store, id);
  expect(nodeStatuses(state)).toEqual({
    A: 'completed',
    B: 'queued',
    C: 'running',
    D: 'queued',
    F: 'running',
    G: 'queued',
    E: 'pending',
  });
  expectStarted(state, 'C');
  expectStarted(state, 'F');
  for (const nodeId of ['B', 'D', 'G']) {
    expect(state.nodeResults[nodeId]?.attempts ?? 0, nodeId).toBe(0);
  }
}

async function nextNodesStartSelectedChildren(store: ExecutionStore): Promise<void> {
  const plan = branchPlan(uid('wf')); // A → B, C; B → D; C → E; B + C → J
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await begin(store, plan, id, 'A');
  const a = await completeStarting(
    store,
    plan,
    id,
    'A',
    { type: 'completed', data: 'a', nextNodes: ['B'] },
    ['B', 'C', 'E', 'J'],
  );
  expect(a).toMatchObject({ recorded: true, ready: ['B'], finished: false });
  expect(a.started).toEqual(['B']);
  expect(sorted(a.skipped, byNode)).toEqual([
    { nodeId: 'C', reason: 'not-selected' },
    { nodeId: 'E', reason: 'upstream-skipped' },
  ]);
  let state = await mustGet(store, id);
  expect(nodeStatuses(state)).toEqual({
    A: 'completed',
    B: 'running',
    C: 'skipped',
    D: 'pending',
    E: 'skipped',
    J: 'pending',
  });
  expectStarted(state, 'B');
  expect(state.nodeResults.C).toMatchObject({ skipReason: 'not-selected' });
  expect(state.nodeResults.C?.attempts ?? 0).toBe(0);

  expect(await store.beginNodeRun(plan, id, 'B', 1)).toMatchObject({
    started: true,
    attempt: 1,
    inputData: 'a',
  });
  const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, ['J']);
  expect(sorted(b.ready)).toEqual(['D', 'J']);
  expect(b.started).toEqual(['J']);
  state = await mustGet(store, id);
  expect(nodeStatuses(state)).toMatchObject({ D: 'queued', J: 'running' });
  expectStarted(state, 'J');

  // A subset of a wider fan-out: selected and named → started, selected only → queued,
  // named but not selected → skipped.
  const fan = failurePlan(uid('wf')); // A → B, C, D, F, G; B → E
  const fanId = (await saveAndCreate(store, fan)).execution.executionId;
  await begin(store, fan, fanId, 'A');
  const f = await store.completeNode(
    fan,
    fanId,
    'A',
    { type: 'completed', nextNodes: ['B', 'C', 'D'] },
    undefined,
    { start: ['B', 'F'] },
  );
  expect(sorted(f.ready)).toEqual(['B', 'C', 'D']);
  expect(f.started).toEqual(['B']);
  expect(sorted(f.skipped, byNode)).toEqual([
    { nodeId: 'F', reason: 'not-selected' },
    { nodeId: 'G', reason: 'not-selected' },
  ]);
  const fanState = await mustGet(store, fanId);
  expect(nodeStatuses(fanState)).toEqual({
    A: 'completed',
    B: 'running',
    C: 'queued',
    D: 'queued',
    F: 'skipped',
    G: 'skipped',
    E: 'pending',
  });
  expectStarted(fanState, 'B');
}

async function joinReadiedBySelectingNoneIsStarted(store: ExecutionStore): Promise<void> {
  const plan = diamondPlan(uid('wf'));
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await runNode(store, plan, id, 'A');
  await runNode(store, plan, id, 'B', { type: 'completed', data: 'b' });
  await begin(store, plan, id, 'C');
  // C's edge to D does not fire, B's did: D runs, with the data of B only.
  const c = await completeStarting(
    store,
    plan,
    id,
    'C',
    { type: 'completed', data: 'c', nextNodes: [] },
    ['D'],
  );
  expect(c).toMatchObject({ recorded: true, ready: ['D'], skipped: [], finished: false });
  expect(c.started).toEqual(['D']);
  const state = await mustGet(store, id);
  expect(nodeStatuses(state)).toEqual({
    A: 'completed',
    B: 'completed',
    C: 'completed',
    D: 'running',
  });
  expectStarted(state, 'D');
  expect(await store.beginNodeRun(plan, id, 'D', 1)).toMatchObject({
    started: true,
    attempt: 1,
    inputData: { B: 'b' },
  });
}

async function concurrentJoinParentsStartOnce(ctx: SuiteContext): Promise<void> {
  const store = ctx.store();
  const { joins, joinParents } = ctx;
  const plan = fanInPlan(uid('wf'), joinParents, joins);
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  const parents: { nodeId: string; join: string; asks: boolean }[] = [];
  for (let j = 0; j < joins; j++) {
    for (let i = 0; i < joinParents; i++) {
      // Join 0: every parent asks; join 1: none; the others: every second parent.
      const asks = j === 0 || (j !== 1 && i % 2 === 0);
      parents.push({ nodeId: fanInParent(j, i), join: fanInJoin(j), asks });
    }
  }
  await Promise.all(parents.map((p) => begin(store, plan, id, p.nodeId)));

  const results = await Promise.all(
    parents.map((p) =>
      store.completeNode(
        plan,
        id,
        p.nodeId,
        { type: 'completed', data: p.nodeId },
        undefined,
        p.asks ? { start: [p.join] } : undefined,
      ),
    ),
  );
  expect(count(results, (r) => r.recorded)).toBe(parents.length);
  for (const r of results) {
    for (const s of startedOf(r)) expect(r.ready, 'started ⊆ ready').toContain(s);
  }

  const state = await mustGet(store, id);
  for (let j = 0; j < joins; j++) {
    const joinId = fanInJoin(j);
    const readiers = parents.filter((_, k) => results[k]!.ready.includes(joinId));
    const starters = parents.filter((_, k) => startedOf(results[k]!).includes(joinId));
    expect(readiers, `calls reporting ${joinId} ready`).toHaveLength(1);
    const asked = readiers[0]!.asks;
    if (j === 0) expect(asked).toBe(true);
    if (j === 1) expect(asked).toBe(false);
    // A store may queue a node it was asked to start (the contract says `may`), but
    // only the readier that asked may start it, and then it is told so.
    const startedBy = starters.map((p) => p.nodeId);
    const label = `${joinId}, readied by ${readiers[0]!.nodeId} (asked: ${asked})`;
    if (startedBy.length > 0) {
      expect(asked, label).toBe(true);
      expect(startedBy, label).toEqual([readiers[0]!.nodeId]);
      expectStarted(state, joinId);
    } else {
      expect(state.nodeResults[joinId]?.status, label).toBe('queued');
      expect(state.nodeResults[joinId]?.attempts ?? 0, label).toBe(0);
    }
  }

  const last = await Promise.all(
    Array.from({ length: joins }, async (_, j) => {
      const joinId = fanInJoin(j);
      const run = await store.beginNodeRun(plan, id, joinId, 1);
      expect(run, joinId).toMatchObject({ started: true, attempt: 1 });
      const inputs = Array.from({ length: joinParents }, (_, i) => fanInParent(j, i));
      if (run.started) {
        expect(run.inputData, `input of ${joinId}`).toEqual(
          joinParents === 1 ? inputs[0] : Object.fromEntries(inputs.map((p) => [p, p])),
        );
      }
      return store.completeNode(plan, id, joinId, { type: 'completed' });
    }),
  );
  expect(count(last, (r) => r.recorded)).toBe(joins);
  expect(count(last, (r) => r.finished)).toBe(1);
  expect((await mustGet(store, id)).status).toBe('completed');
}
