import {
  applyNodeOutcome,
  type CompleteNodeResult,
  type ExecutionStore,
  type NodeOutcome,
  type NodeSnapshot,
  startExecution,
  type WorkflowPlan,
} from '@spane/core';
import { describe, expect, it } from 'vitest';
import {
  chainPlan,
  fanInJoin,
  fanInParent,
  fanInPlan,
  parallelPlan,
  randomPlan,
  seededRandom,
} from '../fixtures.js';
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

/**
 * A random outcome for each node: mostly completions firing every edge, some selecting a
 * random subset of the children (`nextNodes`), and failures of `continueOnFail` nodes.
 */
function randomOutcomes(plan: WorkflowPlan, random: () => number): Map<string, NodeOutcome> {
  const outcomes = new Map<string, NodeOutcome>();
  for (const nodeId of plan.nodeIds) {
    const roll = random();
    if (plan.nodes.get(nodeId)?.continueOnFail && roll < 0.5) {
      outcomes.set(nodeId, { type: 'failed', error: `e-${nodeId}` });
    } else if (roll < 0.3) {
      const children = plan.children.get(nodeId) ?? [];
      outcomes.set(nodeId, {
        type: 'completed',
        data: nodeId,
        nextNodes: children.filter(() => random() < 0.5),
      });
    } else {
      outcomes.set(nodeId, { type: 'completed', data: nodeId });
    }
  }
  return outcomes;
}

/** The final statuses the readiness rules give, settling the nodes one at a time. */
function referenceRun(
  plan: WorkflowPlan,
  outcomes: Map<string, NodeOutcome>,
): Record<string, string> {
  const state = new Map<string, NodeSnapshot>();
  const start = startExecution(plan);
  let remaining = start.remaining;
  const queue = [...start.ready];
  for (const s of start.skipped) state.set(s.nodeId, { status: 'skipped' });
  while (queue.length > 0) {
    const nodeId = queue.shift()!;
    const outcome = outcomes.get(nodeId)!;
    const t = applyNodeOutcome(plan, (id) => state.get(id), nodeId, outcome, remaining);
    remaining = t.remaining;
    for (const s of t.settled) {
      state.set(s.nodeId, {
        status: s.status,
        continuedOnFail: s.continuedOnFail,
        nextNodes: outcome.type === 'completed' ? outcome.nextNodes : undefined,
      });
    }
    for (const r of t.ready) state.set(r, { status: 'queued' });
    queue.push(...t.ready);
  }
  return Object.fromEntries(plan.nodeIds.map((id) => [id, state.get(id)?.status ?? 'pending']));
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

    it(
      'random DAGs with mixed outcomes, every ready wave completed at once, end as the rules say (each node readied once)',
      async () => {
        const store = ctx.store();
        for (let seed = 1; seed <= 8; seed++) {
          const random = seededRandom(seed);
          const plan = randomPlan(uid('wf'), 24, random);
          const outcomes = randomOutcomes(plan, random);
          const created = await saveAndCreate(store, plan);
          const id = created.execution.executionId;
          const readied = new Map<string, number>();
          const mark = (ids: readonly string[]) => {
            for (const r of ids) readied.set(r, (readied.get(r) ?? 0) + 1);
          };
          mark(created.ready);
          let wave = [...created.ready];
          let finished = 0;
          while (wave.length > 0) {
            await beginAll(store, plan, id, wave);
            const results = await Promise.all(
              wave.map((nodeId) => store.completeNode(plan, id, nodeId, outcomes.get(nodeId)!)),
            );
            expect(
              count(results, (r) => r.recorded),
              `seed ${seed}`,
            ).toBe(wave.length);
            finished += count(results, (r) => r.finished);
            wave = results.flatMap((r) => r.ready);
            mark(wave);
          }
          const state = await mustGet(store, id);
          expect(nodeStatuses(state), `seed ${seed}`).toEqual(referenceRun(plan, outcomes));
          expect(state.status, `seed ${seed}`).toBe('completed');
          expect(finished, `seed ${seed}`).toBe(1);
          for (const [nodeId, times] of readied) expect(times, `${nodeId} (seed ${seed})`).toBe(1);
        }
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
