import { randomUUID } from 'node:crypto';
import { ExecutionNotFoundError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import {
  branchPlan,
  chainPlan,
  continueOnFailPlan,
  diamondPlan,
  failurePlan,
} from '../fixtures.js';
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

const byNode = (s: { nodeId: string }) => s.nodeId;

/** beginNodeRun / completeNode / setNodeStatus: the readiness rules as a store applies them. */
export function nodeResultsSuite(ctx: SuiteContext): void {
  describe('node-results', () => {
    it('beginNodeRun starts an attempt of a queued node and a pending execution', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'));
      const parent = await saveAndCreate(store, plan, { tenantId });
      const { execution } = await store.createExecution({
        plan,
        tenantId,
        initialData: { seed: 7 },
        depth: 1,
        priority: 2,
        parentExecutionId: parent.execution.executionId,
      });
      const id = execution.executionId;

      const first = await store.beginNodeRun(plan, id, 'A');
      expect(first).toMatchObject({
        started: true,
        attempt: 1,
        inputData: { seed: 7 },
        initialData: { seed: 7 },
        tenantId,
        depth: 1,
        priority: 2,
        parentExecutionId: parent.execution.executionId,
      });
      if (first.started) expect(first.previousResults).toEqual({});
      let state = await mustGet(store, id);
      expect(state.status).toBe('running');
      expect(state.nodeResults.A).toMatchObject({ status: 'running', attempts: 1 });
      expectTimestamp(state.nodeResults.A?.startedAt);
      expect(nodeStatuses(state)).toEqual({ A: 'running', B: 'pending', C: 'pending' });

      const second = await store.beginNodeRun(plan, id, 'A');
      expect(second).toMatchObject({ started: true, attempt: 2 });
      state = await mustGet(store, id);
      expect(state.nodeResults.A).toMatchObject({ status: 'running', attempts: 2 });
    });

    it('beginNodeRun with an explicit attempt records that number (a crash re-run keeps it)', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const { execution } = await saveAndCreate(store, plan);
      const id = execution.executionId;

      expect(await store.beginNodeRun(plan, id, 'A', 1)).toMatchObject({
        started: true,
        attempt: 1,
      });
      // The same attempt begun again (its worker died): the number does not move.
      expect(await store.beginNodeRun(plan, id, 'A', 1)).toMatchObject({
        started: true,
        attempt: 1,
      });
      expect((await mustGet(store, id)).nodeResults.A).toMatchObject({ attempts: 1 });
      expect(await store.beginNodeRun(plan, id, 'A', 4)).toMatchObject({
        started: true,
        attempt: 4,
      });
      expect((await mustGet(store, id)).nodeResults.A).toMatchObject({ attempts: 4 });
      // Omitted: one more than recorded.
      expect(await store.beginNodeRun(plan, id, 'A')).toMatchObject({ started: true, attempt: 5 });
    });

    it('beginNodeRun passes input by the data-passing rule', async () => {
      const store = ctx.store();
      const chain = chainPlan(uid('wf'));
      const c = (await saveAndCreate(store, chain, { initialData: 'init' })).execution.executionId;
      await runNode(store, chain, c, 'A', { type: 'completed', data: { fromA: [1, 2] } });
      const b = await begin(store, chain, c, 'B');
      expect(b.inputData).toEqual({ fromA: [1, 2] });
      expect(b.initialData).toBe('init');
      expect(b.previousResults).toEqual({ A: { success: true, data: { fromA: [1, 2] } } });

      const diamond = diamondPlan(uid('wf'));
      const d = (await saveAndCreate(store, diamond, { initialData: 0 })).execution.executionId;
      const a = await begin(store, diamond, d, 'A');
      expect(a.inputData).toBe(0);
      await store.completeNode(diamond, d, 'A', { type: 'completed', data: 'a' });
      await runNode(store, diamond, d, 'B', { type: 'completed', data: 'b' });
      await runNode(store, diamond, d, 'C', { type: 'completed', data: { c: true } });
      const join = await begin(store, diamond, d, 'D');
      expect(join.inputData).toEqual({ B: 'b', C: { c: true } });
      expect(join.previousResults).toEqual({
        B: { success: true, data: 'b' },
        C: { success: true, data: { c: true } },
      });
    });

    it('beginNodeRun refuses what cannot run and changes nothing', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;

      expect(await store.beginNodeRun(plan, id, 'B')).toMatchObject({
        started: false,
        reason: 'node-not-runnable',
      });
      expect(await store.beginNodeRun(plan, randomUUID(), 'A')).toMatchObject({
        started: false,
        reason: 'not-found',
      });
      await runNode(store, plan, id, 'A');
      expect(await store.beginNodeRun(plan, id, 'A'), 'a completed node').toMatchObject({
        started: false,
        reason: 'node-not-runnable',
      });

      await store.setExecutionStatus(id, 'paused');
      const before = await mustGet(store, id);
      expect(await store.beginNodeRun(plan, id, 'B')).toMatchObject({
        started: false,
        reason: 'execution-not-active',
      });
      expect(await mustGet(store, id)).toEqual(before);
      expect(before.nodeResults.B).toMatchObject({ status: 'queued', attempts: 0 });

      await store.setExecutionStatus(id, 'cancelled');
      expect(await store.beginNodeRun(plan, id, 'C')).toMatchObject({
        started: false,
        reason: 'execution-not-active',
      });

      const done = chainPlan(uid('wf'), 1);
      const doneId = (await saveAndCreate(store, done)).execution.executionId;
      await runNode(store, done, doneId, 'A');
      expect((await mustGet(store, doneId)).status).toBe('completed');
      expect((await store.beginNodeRun(done, doneId, 'A')).started).toBe(false);
    });

    it('completeNode records a result once; re-recording changes nothing', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      const first = await store.completeNode(plan, id, 'A', { type: 'completed', data: 1 });
      expect(first).toEqual({
        recorded: true,
        ready: ['B'],
        skipped: [],
        executionStatus: 'running',
        finished: false,
      });
      const before = await mustGet(store, id);
      expect(before.nodeResults.A).toMatchObject({ status: 'completed', data: 1, attempts: 1 });
      expectTimestamp(before.nodeResults.A?.finishedAt);
      expect(before.nodeResults.B?.status).toBe('queued');

      for (const outcome of [
        { type: 'completed', data: 2 },
        { type: 'failed', error: 'late failure' },
        { type: 'skipped', reason: 'not-selected' },
      ] as const) {
        const again = await store.completeNode(plan, id, 'A', outcome);
        expect(again).toMatchObject({ recorded: false, ready: [], skipped: [], finished: false });
        expect(again.executionStatus).toBe('running');
      }
      expect(await mustGet(store, id)).toEqual(before);
    });

    it('completeNode throws ExecutionNotFoundError for an unknown execution', async () => {
      const plan = chainPlan(uid('wf'));
      await expect(
        ctx.store().completeNode(plan, randomUUID(), 'A', { type: 'completed' }),
      ).rejects.toBeInstanceOf(ExecutionNotFoundError);
    });

    it('a chain completes, and exactly one call reports finished', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const results = [];
      for (const nodeId of ['A', 'B', 'C']) {
        results.push(await runNode(store, plan, id, nodeId, { type: 'completed', data: nodeId }));
      }
      expect(results.map((r) => r.finished)).toEqual([false, false, true]);
      expect(results.map((r) => r.executionStatus)).toEqual(['running', 'running', 'completed']);
      expect(results.map((r) => r.ready)).toEqual([['B'], ['C'], []]);
      const state = await mustGet(store, id);
      expect(state.status).toBe('completed');
      expectTimestamp(state.completedAt);
      expect(nodeStatuses(state)).toEqual({ A: 'completed', B: 'completed', C: 'completed' });
      expect(state.nodeResults.C?.data).toBe('C');

      const late = await store.completeNode(plan, id, 'C', { type: 'completed' });
      expect(late).toMatchObject({
        recorded: false,
        finished: false,
        executionStatus: 'completed',
      });
    });

    it('nextNodes skips unselected children with reasons, the skip cascades, and a join with one skipped parent runs', async () => {
      const store = ctx.store();
      const plan = branchPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const a = await runNode(store, plan, id, 'A', {
        type: 'completed',
        data: 'a',
        nextNodes: ['B'],
      });
      expect(a.recorded).toBe(true);
      expect(a.ready).toEqual(['B']);
      expect(sorted(a.skipped, byNode)).toEqual([
        { nodeId: 'C', reason: 'not-selected' },
        { nodeId: 'E', reason: 'upstream-skipped' },
      ]);
      expect(a.finished).toBe(false);
      let state = await mustGet(store, id);
      expect(nodeStatuses(state)).toEqual({
        A: 'completed',
        B: 'queued',
        C: 'skipped',
        D: 'pending',
        E: 'skipped',
        J: 'pending',
      });
      expect(state.nodeResults.C?.skipReason).toBe('not-selected');
      expect(state.nodeResults.E?.skipReason).toBe('upstream-skipped');
      expect(state.nodeResults.A?.nextNodes).toEqual(['B']);

      const b = await begin(store, plan, id, 'B');
      expect(b.previousResults).toEqual({ A: { success: true, data: 'a', nextNodes: ['B'] } });
      const bDone = await store.completeNode(plan, id, 'B', { type: 'completed', data: 'b' });
      expect(sorted(bDone.ready)).toEqual(['D', 'J']);
      expect(bDone.skipped).toEqual([]);

      const j = await begin(store, plan, id, 'J');
      expect(j.inputData, 'only parents whose edge fired').toEqual({ B: 'b' });
      expect(j.previousResults).toEqual({ B: { success: true, data: 'b' } });
      expect((await store.completeNode(plan, id, 'J', { type: 'completed' })).finished).toBe(false);
      const d = await runNode(store, plan, id, 'D');
      expect(d).toMatchObject({ finished: true, executionStatus: 'completed' });
      state = await mustGet(store, id);
      expect(state.status).toBe('completed');
    });

    it('an empty nextNodes skips every descendant and completes the execution', async () => {
      const store = ctx.store();
      const plan = branchPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const a = await runNode(store, plan, id, 'A', { type: 'completed', nextNodes: [] });
      expect(a.ready).toEqual([]);
      expect(sorted(a.skipped, byNode)).toEqual([
        { nodeId: 'B', reason: 'not-selected' },
        { nodeId: 'C', reason: 'not-selected' },
        { nodeId: 'D', reason: 'upstream-skipped' },
        { nodeId: 'E', reason: 'upstream-skipped' },
        { nodeId: 'J', reason: 'upstream-skipped' },
      ]);
      expect(a).toMatchObject({ finished: true, executionStatus: 'completed' });
      expect((await mustGet(store, id)).status).toBe('completed');
    });

    it('a continueOnFail failure settles the node as failed and its children run', async () => {
      const store = ctx.store();
      const plan = continueOnFailPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A', { type: 'completed', data: 'a' });
      const b = await runNode(store, plan, id, 'B', { type: 'failed', error: 'boom' });
      expect(b).toEqual({
        recorded: true,
        ready: ['C'],
        skipped: [],
        executionStatus: 'running',
        finished: false,
      });
      const state = await mustGet(store, id);
      expect(state.status).toBe('running');
      expect(state.nodeResults.B).toMatchObject({
        status: 'failed',
        error: 'boom',
        continuedOnFail: true,
      });
      expect(state.nodeResults.C?.status).toBe('queued');

      const c = await begin(store, plan, id, 'C');
      expect(c.inputData).toEqual({ error: 'boom' });
      expect(c.previousResults).toEqual({ B: { success: false, error: 'boom' } });
      const done = await store.completeNode(plan, id, 'C', { type: 'completed' });
      expect(done).toMatchObject({ recorded: true, finished: true, executionStatus: 'completed' });
    });

    it('a hard failure fails the execution and cancels queued, running, delayed and waiting nodes', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const a = await runNode(store, plan, id, 'A');
      expect(sorted(a.ready)).toEqual(['B', 'C', 'D', 'F', 'G']);
      await begin(store, plan, id, 'B');
      await begin(store, plan, id, 'C');
      expect(await store.setNodeStatus(id, 'F', 'delayed')).toBe(true);
      expect(await store.setNodeStatus(id, 'G', 'waiting')).toBe(true);

      const failed = await store.completeNode(plan, id, 'B', { type: 'failed', error: 'fatal' });
      expect(failed).toEqual({
        recorded: true,
        ready: [],
        skipped: [],
        executionStatus: 'failed',
        finished: true,
      });
      const state = await mustGet(store, id);
      expect(state.status).toBe('failed');
      expectTimestamp(state.completedAt);
      expect(nodeStatuses(state)).toEqual({
        A: 'completed',
        B: 'failed',
        C: 'cancelled',
        D: 'cancelled',
        F: 'cancelled',
        G: 'cancelled',
        E: 'pending',
      });
      expect(state.nodeResults.B?.error).toBe('fatal');
      expect(state.nodeResults.B?.continuedOnFail).toBeFalsy();

      const late = await store.completeNode(plan, id, 'C', { type: 'completed' });
      expect(late).toMatchObject({ recorded: false, finished: false, executionStatus: 'failed' });
      expect((await store.beginNodeRun(plan, id, 'D')).started).toBe(false);
      expect(await mustGet(store, id)).toEqual(state);
    });

    it('completeNode on a cancelled execution records nothing', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      await store.setExecutionStatus(id, 'cancelled');
      const before = await mustGet(store, id);
      const result = await store.completeNode(plan, id, 'A', { type: 'completed', data: 1 });
      expect(result).toEqual({
        recorded: false,
        ready: [],
        skipped: [],
        executionStatus: 'cancelled',
        finished: false,
      });
      expect(await mustGet(store, id)).toEqual(before);
      expect(before.nodeResults.A?.status).toBe('cancelled');
    });

    it('completeNode is accepted while the execution is paused', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await begin(store, plan, id, 'A');
      await store.setExecutionStatus(id, 'paused');
      const result = await store.completeNode(plan, id, 'A', { type: 'completed' });
      expect(result.recorded).toBe(true);
      expect(sorted(result.ready)).toEqual(['B', 'C']);
      expect(result.executionStatus).toBe('paused');
      const state = await mustGet(store, id);
      expect(state.status).toBe('paused');
      expect(nodeStatuses(state)).toMatchObject({ A: 'completed', B: 'queued', C: 'queued' });
    });

    it('setNodeStatus moves unsettled nodes to delayed, waiting or queued, and refuses settled ones', async () => {
      const store = ctx.store();
      const plan = branchPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;

      expect(await store.setNodeStatus(id, 'A', 'delayed', { error: 'retry in 1s' })).toBe(true);
      let state = await mustGet(store, id);
      expect(state.nodeResults.A).toMatchObject({ status: 'delayed', error: 'retry in 1s' });
      expect(await store.setNodeStatus(id, 'A', 'waiting')).toBe(true);
      expect((await mustGet(store, id)).nodeResults.A?.status).toBe('waiting');
      expect(await store.setNodeStatus(id, 'A', 'queued')).toBe(true);
      expect((await mustGet(store, id)).nodeResults.A?.status).toBe('queued');

      await begin(store, plan, id, 'A');
      expect(await store.setNodeStatus(id, 'A', 'delayed'), 'a running node').toBe(true);
      expect((await begin(store, plan, id, 'A')).attempt, 'a delayed node can be begun').toBe(2);

      await store.completeNode(plan, id, 'A', { type: 'completed', nextNodes: ['B'] });
      state = await mustGet(store, id);
      expect(await store.setNodeStatus(id, 'A', 'queued'), 'a completed node').toBe(false);
      expect(await store.setNodeStatus(id, 'C', 'queued'), 'a skipped node').toBe(false);
      expect(await mustGet(store, id)).toEqual(state);

      const cof = continueOnFailPlan(uid('wf'));
      const cofId = (await saveAndCreate(store, cof)).execution.executionId;
      await runNode(store, cof, cofId, 'A');
      await runNode(store, cof, cofId, 'B', { type: 'failed', error: 'x' });
      expect(await store.setNodeStatus(cofId, 'B', 'delayed'), 'a failed node').toBe(false);
      expect((await mustGet(store, cofId)).nodeResults.B?.status).toBe('failed');

      const cancelled = chainPlan(uid('wf'));
      const cancelledId = (await saveAndCreate(store, cancelled)).execution.executionId;
      await store.setExecutionStatus(cancelledId, 'cancelled');
      expect(await store.setNodeStatus(cancelledId, 'A', 'queued'), 'a cancelled node').toBe(false);
      expect((await mustGet(store, cancelledId)).nodeResults.A?.status).toBe('cancelled');
    });
  });
}
