import type { CompleteNodeResult, ExecutionStore, WorkflowPlan } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan, fanInJoin, fanInParent, fanInPlan, parallelPlan } from '../fixtures.js';
import { begin, count, mustGet, nodeStatuses, saveAndCreate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

const TIMEOUT = 120_000;

async function beginAll(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeIds: readonly string[],
): Promise<void> {
  await Promise.all(nodeIds.map((nodeId) => begin(store, plan, executionId, nodeId)));
}

/** How many results report `nodeId` in `ready`. */
function readyCount(results: readonly CompleteNodeResult[], nodeId: string): number {
  return count(results, (r) => r.ready.includes(nodeId));
}

/** The concurrency guarantees of completeNode: joins, recording, finishing. */
export function joinConcurrencySuite(ctx: SuiteContext): void {
  describe('join-concurrency', () => {
    it(
      `of concurrent completions of the parents of a join exactly one reports it ready (${ctx.joins} joins × ${ctx.joinParents} parents, one execution)`,
      async () => {
        const store = ctx.store();
        const { joins, joinParents } = ctx;
        const plan = fanInPlan(uid('wf'), joinParents, joins);
        const created = await saveAndCreate(store, plan);
        const id = created.execution.executionId;
        const parents: string[] = [];
        for (let j = 0; j < joins; j++) {
          for (let i = 0; i < joinParents; i++) parents.push(fanInParent(j, i));
        }
        const joinIds = Array.from({ length: joins }, (_, j) => fanInJoin(j));
        expect([...created.ready].sort()).toEqual([...parents].sort());
        await beginAll(store, plan, id, parents);

        const results = await Promise.all(
          parents.map((nodeId) =>
            store.completeNode(plan, id, nodeId, { type: 'completed', data: { from: nodeId } }),
          ),
        );
        expect(count(results, (r) => r.recorded)).toBe(parents.length);
        for (const joinId of joinIds) expect(readyCount(results, joinId), joinId).toBe(1);
        const reported = results.flatMap((r) => r.ready);
        expect(reported.sort()).toEqual([...joinIds].sort());
        expect(count(results, (r) => r.finished)).toBe(0);

        const state = await mustGet(store, id);
        for (const nodeId of parents)
          expect(state.nodeResults[nodeId]?.status, nodeId).toBe('completed');
        for (const joinId of joinIds)
          expect(state.nodeResults[joinId]?.status, joinId).toBe('queued');

        const inputs = await Promise.all(joinIds.map((joinId) => begin(store, plan, id, joinId)));
        inputs.forEach((input, j) => {
          const expected = Object.fromEntries(
            Array.from({ length: joinParents }, (_, i) => [
              fanInParent(j, i),
              { from: fanInParent(j, i) },
            ]),
          );
          expect(input.inputData, `input of ${fanInJoin(j)}`).toEqual(expected);
        });

        const last = await Promise.all(
          joinIds.map((joinId) => store.completeNode(plan, id, joinId, { type: 'completed' })),
        );
        expect(count(last, (r) => r.recorded)).toBe(joins);
        expect(count(last, (r) => r.finished)).toBe(1);
        expect(last.find((r) => r.finished)?.executionStatus).toBe('completed');
        expect((await mustGet(store, id)).status).toBe('completed');
      },
      TIMEOUT,
    );

    it(
      `of concurrent completions across ${ctx.joins} executions each join is reported ready exactly once`,
      async () => {
        const store = ctx.store();
        const { joins, joinParents } = ctx;
        const plan = fanInPlan(uid('wf'), joinParents, 1);
        await store.saveWorkflow(plan);
        const parents = Array.from({ length: joinParents }, (_, i) => fanInParent(0, i));
        const ids: string[] = [];
        for (let j = 0; j < joins; j++)
          ids.push((await store.createExecution({ plan })).execution.executionId);
        await Promise.all(ids.map((id) => beginAll(store, plan, id, parents)));

        const results = await Promise.all(
          ids.map((id) =>
            Promise.all(
              parents.map((nodeId) =>
                store.completeNode(plan, id, nodeId, { type: 'completed', data: nodeId }),
              ),
            ),
          ),
        );
        results.forEach((perExecution, j) => {
          expect(readyCount(perExecution, fanInJoin(0)), `execution ${j}`).toBe(1);
          expect(count(perExecution, (r) => r.recorded)).toBe(joinParents);
        });

        const last = await Promise.all(
          ids.map(async (id) => {
            await begin(store, plan, id, fanInJoin(0));
            return store.completeNode(plan, id, fanInJoin(0), { type: 'completed' });
          }),
        );
        for (const r of last) expect(r).toMatchObject({ recorded: true, finished: true });
        for (const id of ids) expect((await mustGet(store, id)).status).toBe('completed');
      },
      TIMEOUT,
    );

    it('of concurrent completeNode calls for the same node exactly one records', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.completeNode(plan, id, 'A', { type: 'completed', data: { caller: i } }),
        ),
      );
      expect(count(results, (r) => r.recorded)).toBe(1);
      const winner = results.findIndex((r) => r.recorded);
      expect(results[winner]?.ready).toEqual(['B']);
      expect(readyCount(results, 'B')).toBe(1);
      const state = await mustGet(store, id);
      expect(state.nodeResults.A?.data, 'the recorded result is the winner’s').toEqual({
        caller: winner,
      });
      expect(state.nodeResults.B?.status).toBe('queued');
    });

    it('of a concurrent completion and failure of the same node exactly one records', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.completeNode(
            plan,
            id,
            'A',
            i % 2 === 0 ? { type: 'completed', data: i } : { type: 'failed', error: `e${i}` },
          ),
        ),
      );
      expect(count(results, (r) => r.recorded)).toBe(1);
      const winner = results.findIndex((r) => r.recorded);
      const state = await mustGet(store, id);
      if (winner % 2 === 0) {
        expect(state.status).toBe('running');
        expect(state.nodeResults.A).toMatchObject({ status: 'completed', data: winner });
        expect(readyCount(results, 'B')).toBe(1);
        expect(count(results, (r) => r.finished)).toBe(0);
      } else {
        expect(state.status).toBe('failed');
        expect(state.nodeResults.A).toMatchObject({ status: 'failed', error: `e${winner}` });
        expect(readyCount(results, 'B')).toBe(0);
        expect(count(results, (r) => r.finished)).toBe(1);
      }
    });

    it(
      `of concurrent completions of the last ${ctx.joinParents} nodes exactly one reports finished`,
      async () => {
        const store = ctx.store();
        const plan = parallelPlan(uid('wf'), ctx.joinParents);
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        await beginAll(store, plan, id, plan.nodeIds);
        const results = await Promise.all(
          plan.nodeIds.map((nodeId) => store.completeNode(plan, id, nodeId, { type: 'completed' })),
        );
        expect(count(results, (r) => r.recorded)).toBe(plan.nodeIds.length);
        expect(count(results, (r) => r.finished)).toBe(1);
        expect(results.find((r) => r.finished)?.executionStatus).toBe('completed');
        const state = await mustGet(store, id);
        expect(state.status).toBe('completed');
        expect(new Set(Object.values(nodeStatuses(state)))).toEqual(new Set(['completed']));
      },
      TIMEOUT,
    );

    it(
      `of concurrent hard failures of ${ctx.joinParents} nodes exactly one records and fails the execution`,
      async () => {
        const store = ctx.store();
        const plan = parallelPlan(uid('wf'), ctx.joinParents);
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        await beginAll(store, plan, id, plan.nodeIds);
        const results = await Promise.all(
          plan.nodeIds.map((nodeId) =>
            store.completeNode(plan, id, nodeId, { type: 'failed', error: nodeId }),
          ),
        );
        expect(count(results, (r) => r.recorded)).toBe(1);
        expect(count(results, (r) => r.finished)).toBe(1);
        const winner = plan.nodeIds[results.findIndex((r) => r.recorded)]!;
        const state = await mustGet(store, id);
        expect(state.status).toBe('failed');
        for (const nodeId of plan.nodeIds) {
          expect(state.nodeResults[nodeId]?.status, nodeId).toBe(
            nodeId === winner ? 'failed' : 'cancelled',
          );
        }
      },
      TIMEOUT,
    );
  });
}
