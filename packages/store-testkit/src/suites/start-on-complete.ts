import type {
  CompleteNodeOptions,
  CompleteNodeResult,
  ExecutionState,
  ExecutionStore,
  NodeOutcome,
  WorkflowPlan,
} from '@spane/core';
import { describe, expect, it as vitestIt } from 'vitest';
import {
  branchPlan,
  chainPlan,
  continueOnFailPlan,
  diamondPlan,
  failurePlan,
  fanInJoin,
  fanInParent,
  fanInPlan,
} from '../fixtures.js';
import {
  begin,
  count,
  expectTimestamp,
  mustGet,
  nodeStatuses,
  runNode,
  saveAndCreate,
  sorted,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';

const TIMEOUT = 120_000;

const byNode = (s: { nodeId: string }) => s.nodeId;

/** `started` of a result, where absent counts as empty. */
function startedOf(result: { started?: string[] }): string[] {
  return result.started ?? [];
}

/** `completeNode` of `nodeId` without telemetry, asking to start `start`. */
function completeStarting(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  outcome: NodeOutcome,
  start: readonly string[],
): Promise<CompleteNodeResult> {
  return store.completeNode(plan, executionId, nodeId, outcome, undefined, { start });
}

/** Asserts that `nodeId` is as `beginNodeRun(plan, id, nodeId, 1)` leaves it. */
function expectStarted(state: ExecutionState, nodeId: string): void {
  const node = state.nodeResults[nodeId];
  expect(node, `node ${nodeId}`).toMatchObject({ status: 'running', attempts: 1 });
  expectTimestamp(node?.startedAt);
}

/**
 * The `start` options of completeNode and createExecution: ready children, and entry nodes,
 * started (running, attempt 1) in the same write.
 */
export function startOnCompleteSuite(ctx: SuiteContext): void {
  /**
   * A test of starting nodes: it runs for a store that declares `capabilities.startsNodes`
   * (the `capabilities` suite checks the others leave `started` out).
   */
  const it = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    vitestIt(
      name,
      async (test) => {
        if (!ctx.store().capabilities.startsNodes) {
          test.skip('the store does not declare capabilities.startsNodes');
        }
        await fn();
      },
      timeout,
    );
  };

  describe('start-on-complete', () => {
    it('createExecution with start creates the named entry nodes running and the execution running', async () => {
      const store = ctx.store();
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
    });

    it('createExecution without start, or naming no entry node, creates a pending execution with queued entries', async () => {
      const store = ctx.store();
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
    });

    it('createExecution with start and a known idempotency key starts nothing', async () => {
      const store = ctx.store();
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
    });

    it('a child named in start is started instead of queued; beginNodeRun(…, 1) still accepts it', async () => {
      const store = ctx.store();
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
      if (b.started)
        expect(b.previousResults).toEqual({ A: { success: true, data: { fromA: 1 } } });
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
    });

    it('a started node can be completed without another beginNodeRun, and may start its own child', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      const a = await completeStarting(store, plan, id, 'A', { type: 'completed' }, ['B']);
      expect(a.started).toEqual(['B']);
      const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, [
        'C',
      ]);
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
    });

    it('without start, with an empty start or with start naming no ready node, children are queued', async () => {
      const store = ctx.store();
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
    });

    it('a join named in start is untouched until its last parent completes, which starts it', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A', { type: 'completed', data: 'a' });
      await begin(store, plan, id, 'B');
      await begin(store, plan, id, 'C');

      const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, [
        'D',
      ]);
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

      const c = await completeStarting(store, plan, id, 'C', { type: 'completed', data: 'c' }, [
        'D',
      ]);
      expect(c).toMatchObject({ recorded: true, ready: ['D'], skipped: [], finished: false });
      expect(c.started).toEqual(['D']);
      state = await mustGet(store, id);
      expect(state.nodeResults.C?.status).toBe('completed');
      expectStarted(state, 'D');

      const d = await store.beginNodeRun(plan, id, 'D', 1);
      expect(d).toMatchObject({ started: true, attempt: 1, inputData: { B: 'b', C: 'c' } });
      const done = await store.completeNode(plan, id, 'D', { type: 'completed' });
      expect(done).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
    });

    it('of a fan-out only the children named in start are started; the others are queued', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf')); // A → B, C, D, F, G; B → E
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      const a = await completeStarting(store, plan, id, 'A', { type: 'completed' }, [
        'C',
        'F',
        'E',
      ]);
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
    });

    it('with nextNodes selecting a subset, the selected children named in start are started and skipped ones are not', async () => {
      const store = ctx.store();
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
      const b = await completeStarting(store, plan, id, 'B', { type: 'completed', data: 'b' }, [
        'J',
      ]);
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
    });

    it('a join made ready by a completion that selects none of its children is started', async () => {
      const store = ctx.store();
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
    });

    it('a continueOnFail failure starts the children named in start', async () => {
      const store = ctx.store();
      const plan = continueOnFailPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A', { type: 'completed', data: 'a' });
      await begin(store, plan, id, 'B');
      const b = await completeStarting(store, plan, id, 'B', { type: 'failed', error: 'boom' }, [
        'C',
      ]);
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
    });

    it('in a paused execution a ready child named in start is queued, not started', async () => {
      const store = ctx.store();
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
    });

    it('an outcome that is not recorded starts nothing and changes nothing', async () => {
      const store = ctx.store();
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
      const late = await store.completeNode(
        chain,
        cancelledId,
        'A',
        { type: 'completed' },
        undefined,
        { start: ['B'] },
      );
      expect(late).toMatchObject({ recorded: false, ready: [], executionStatus: 'cancelled' });
      expect(startedOf(late)).toEqual([]);
      expect(await mustGet(store, cancelledId)).toEqual(cancelledBefore);
    });

    it('a hard failure starts nothing: the execution fails and its active nodes are cancelled', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf')); // A → B, C, D, F, G; B → E
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A');
      await begin(store, plan, id, 'B');
      await begin(store, plan, id, 'C');
      const failed = await completeStarting(
        store,
        plan,
        id,
        'B',
        { type: 'failed', error: 'fatal' },
        ['E', 'D'],
      );
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
    });

    it(
      `of concurrent completions of join parents, only the one that readies a join and asked may start it, and is told (${ctx.joins} joins × ${ctx.joinParents} parents)`,
      async () => {
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
      },
      TIMEOUT,
    );
  });
}
