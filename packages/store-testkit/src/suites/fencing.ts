import { InvalidArgumentError, type NodeOutcome, type Span, startedRunToken } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { branchPlan, chainPlan, failurePlan } from '../fixtures.js';
import {
  ms,
  mustGet,
  nodeStatuses,
  rejectionOf,
  saveAndCreate,
  uid,
  untilClock,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { fencedStartTests } from './fencing-starts.js';
import {
  beginAs,
  comparable,
  completeAs,
  expectFenced,
  expectRefusedNotFenced,
  token,
} from './fencing-support.js';

function span(executionId: string, nodeId: string, attempt: number): Span {
  return {
    spanId: uid('span'),
    executionId,
    nodeId,
    nodeType: 'testkit.noop',
    attempt,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    status: 'ok',
  };
}

/**
 * Run tokens (fencing): a node run begun with a token holds the node; only the holder's
 * `completeNode` and `setNodeStatus` are accepted; two runs never share an attempt number;
 * a begin retried with the same token finds its run unchanged; a reset releases the node.
 * A node held by no token (begun without one) accepts any caller.
 */
export function fencingSuite(ctx: SuiteContext): void {
  describe('fencing', () => {
    it('two begins with different tokens get different attempts; the first run is fenced out, the second recorded', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const [zombie, rerun] = [token(), token()];
      expect((await beginAs(store, plan, id, 'A', zombie)).attempt).toBe(1);
      // The same attempt number asked for by the re-run (a crash re-run keeps its number):
      // the node is running under another token, so the re-run gets the next one.
      expect((await beginAs(store, plan, id, 'A', rerun, 1)).attempt).toBe(2);
      const before = await mustGet(store, id);

      const late = span(id, 'A', 1);
      const result = await store.completeNode(
        plan,
        id,
        'A',
        { type: 'completed', data: 'zombie' },
        { span: late, logs: [] },
        { runToken: zombie },
      );
      expectFenced(result);
      expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
      // Telemetry is written whether or not the outcome is recorded.
      expect((await store.getSpans(id)).map((s) => s.spanId)).toContain(late.spanId);

      const recorded = await completeAs(store, plan, id, 'A', rerun, {
        type: 'completed',
        data: 'rerun',
      });
      expect(recorded).toMatchObject({ recorded: true, ready: ['B'] });
      expect(recorded.fenced ?? false).toBe(false);
      const after = await mustGet(store, id);
      expect(after.nodeResults.A).toMatchObject({
        status: 'completed',
        data: 'rerun',
        attempts: 2,
      });
      // Settled: a late caller is refused, not fenced, whatever its token.
      expectRefusedNotFenced(await completeAs(store, plan, id, 'A', zombie));
      expectRefusedNotFenced(await completeAs(store, plan, id, 'A', rerun));
    });

    it('every kind of outcome of a fenced-out run is refused and changes nothing', async () => {
      const store = ctx.store();
      const plan = branchPlan(uid('wf'));
      const outcomes: NodeOutcome[] = [
        { type: 'completed', data: 1 },
        { type: 'completed', nextNodes: ['B'] },
        { type: 'failed', error: 'zombie failed' },
        { type: 'skipped', reason: 'upstream-skipped' },
      ];
      for (const outcome of outcomes) {
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        const [zombie, rerun] = [token(), token()];
        await beginAs(store, plan, id, 'A', zombie);
        await beginAs(store, plan, id, 'A', rerun);
        const before = await mustGet(store, id);
        expectFenced(await completeAs(store, plan, id, 'A', zombie, outcome));
        expect(comparable(await mustGet(store, id)), outcome.type).toEqual(comparable(before));
        // The holder's outcome of the same kind is recorded.
        const result = await completeAs(store, plan, id, 'A', rerun, outcome);
        expect(result.recorded, outcome.type).toBe(true);
      }
    });

    it('a begin retried with the same token returns the same run, unchanged', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan, { initialData: { seed: 1 } })).execution
        .executionId;
      const run = token();
      const first = await beginAs(store, plan, id, 'A', run);
      expect(first.attempt).toBe(1);
      const before = await mustGet(store, id);
      // Its first reply was lost: the same call again, and with another attempt number.
      expect(await beginAs(store, plan, id, 'A', run)).toEqual(first);
      expect(await beginAs(store, plan, id, 'A', run, 5)).toEqual(first);
      expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
      expect((await completeAs(store, plan, id, 'A', run)).recorded).toBe(true);
    });

    it('with a token, a node running under another token or none gets max(attempt, attempts + 1)', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      // Queued: the attempt asked for.
      expect((await beginAs(store, plan, id, 'A', token(), 3)).attempt).toBe(3);
      expect((await beginAs(store, plan, id, 'A', token(), 2)).attempt).toBe(4);
      expect((await beginAs(store, plan, id, 'A', token(), 7)).attempt).toBe(7);
      expect((await beginAs(store, plan, id, 'A', token())).attempt).toBe(8);
      // Without a token the explicit attempt is recorded as before; the node is then held
      // by no token, and a tokened begin still counts past it.
      expect(await store.beginNodeRun(plan, id, 'A', 2)).toMatchObject({ attempt: 2 });
      expect((await beginAs(store, plan, id, 'A', token(), 1)).attempt).toBe(3);
      expect((await mustGet(store, id)).nodeResults.A).toMatchObject({
        status: 'running',
        attempts: 3,
      });
    });

    it('a node held by no token accepts the completion of any run', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const run = token();
      await beginAs(store, plan, id, 'A', run);
      // A begin without a token (a legacy caller) releases the node.
      expect(await store.beginNodeRun(plan, id, 'A')).toMatchObject({ attempt: 2 });
      expect(await completeAs(store, plan, id, 'A', run)).toMatchObject({
        recorded: true,
        ready: ['B'],
      });
      // An unfenced completion (no token) is accepted from any holder.
      await beginAs(store, plan, id, 'B', token());
      expect(await store.completeNode(plan, id, 'B', { type: 'completed' })).toMatchObject({
        recorded: true,
      });
    });

    it('concurrent begins with different tokens never share an attempt; only the last holder records', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const runs = Array.from({ length: 12 }, token);
      const begun = await Promise.all(runs.map((run) => beginAs(store, plan, id, 'A', run, 1)));
      const attempts = begun.map((b) => b.attempt);
      expect(new Set(attempts).size, `attempts ${attempts}`).toBe(runs.length);
      expect([...attempts].sort((a, b) => a - b)).toEqual(runs.map((_, i) => i + 1));
      const holder = runs[attempts.indexOf(Math.max(...attempts))]!;
      const results = await Promise.all(runs.map((run) => completeAs(store, plan, id, 'A', run)));
      results.forEach((result, i) => {
        if (runs[i] === holder) expect(result).toMatchObject({ recorded: true, ready: ['B'] });
        else expectFenced(result);
      });
      expect((await mustGet(store, id)).nodeResults.A).toMatchObject({
        status: 'completed',
        attempts: runs.length,
      });
    });

    it('a late completion racing a re-run begin: exactly one of them wins, and the result says which', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      // Fires every edge, and fails hard (which reads the node's neighbours first).
      const outcomes: NodeOutcome[] = [
        { type: 'completed', data: 'late' },
        { type: 'failed', error: 'late' },
      ];
      const races = outcomes.flatMap((outcome) =>
        Array.from({ length: 16 }, async () => {
          const id = (await saveAndCreate(store, plan)).execution.executionId;
          const [zombie, rerun] = [token(), token()];
          await beginAs(store, plan, id, 'A', zombie);
          const [completed, begun] = await Promise.all([
            completeAs(store, plan, id, 'A', zombie, outcome),
            store.beginNodeRun(plan, id, 'A', undefined, rerun),
          ]);
          const node = (await mustGet(store, id)).nodeResults.A!;
          if (completed.recorded) {
            // The completion came first: the re-run finds the node settled.
            expect(begun, outcome.type).toMatchObject({ started: false });
            expect(node.status).toBe(outcome.type);
          } else {
            expectFenced(completed);
            expect(begun, outcome.type).toMatchObject({ started: true, attempt: 2 });
            expect(node).toMatchObject({ status: 'running', attempts: 2 });
          }
        }),
      );
      await Promise.all(races);
    });

    it('a delayed or waiting node keeps its holder: another run is fenced, an unfenced outcome is not', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      for (const status of ['delayed', 'waiting'] as const) {
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        const [run, other] = [token(), token()];
        await beginAs(store, plan, id, 'A', run);
        expect(await store.setNodeStatus(id, 'A', status, { runToken: run })).toBe(true);
        expectFenced(await completeAs(store, plan, id, 'A', other));
        expect((await mustGet(store, id)).nodeResults.A?.status).toBe(status);
        // A sub-workflow's outcome (no token) is recorded.
        const result = await store.completeNode(plan, id, 'A', { type: 'completed' });
        expect(result, status).toMatchObject({ recorded: true, ready: ['B'] });
      }
    });

    it('beginNodeRun of a queued, delayed or waiting node counts past its last attempt and takes the node; a delay wake continues its run', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const [first, second, third, fourth] = [token(), token(), token(), token()];
      expect((await beginAs(store, plan, id, 'A', first)).attempt).toBe(1);
      // A retry waits for its time; the next try (a new processing, a new token) takes over.
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: first })).toBe(true);
      expect((await beginAs(store, plan, id, 'A', second)).attempt).toBe(2);
      expectFenced(await completeAs(store, plan, id, 'A', first));
      // The same token on a waiting node is a new run of it.
      expect(await store.setNodeStatus(id, 'A', 'waiting', { runToken: second })).toBe(true);
      expect((await beginAs(store, plan, id, 'A', second)).attempt).toBe(3);
      // An attempt asked for on a delayed node is recorded when past the last one…
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: second })).toBe(true);
      expect((await beginAs(store, plan, id, 'A', third, 5)).attempt).toBe(5);
      expectFenced(await completeAs(store, plan, id, 'A', second));
      // …and never reused when not (a retry counted by the queue after a crash's re-run).
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: third })).toBe(true);
      expect((await beginAs(store, plan, id, 'A', fourth, 5)).attempt).toBe(6);
      // A delay node's wake: delayed under its own token, it continues with its attempt.
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: fourth })).toBe(true);
      expect((await beginAs(store, plan, id, 'A', fourth, 6)).attempt).toBe(6);
      expect((await mustGet(store, id)).nodeResults.A?.status).toBe('running');
      expectFenced(await completeAs(store, plan, id, 'A', third));
      expect((await completeAs(store, plan, id, 'A', fourth)).recorded).toBe(true);
    });

    it("a delay node's wake (a begin under the token it was delayed with) keeps its startedAt; another run's begin does not", async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const [waiting, failing, retry] = [token(), token(), token()];
      await beginAs(store, plan, id, 'A', waiting);
      const began = (await mustGet(store, id)).nodeResults.A!.startedAt;
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: waiting })).toBe(true);
      // The delay lasts: the wake comes later than the start.
      untilClock(ms(began) + 20);
      expect((await beginAs(store, plan, id, 'A', waiting, 1)).attempt).toBe(1);
      const woken = (await mustGet(store, id)).nodeResults.A!;
      expect(woken.status).toBe('running');
      expect(ms(woken.startedAt)).toBe(ms(began));
      expect((await completeAs(store, plan, id, 'A', waiting)).recorded).toBe(true);
      const done = (await mustGet(store, id)).nodeResults.A!;
      expect(ms(done.startedAt)).toBe(ms(began));
      expect(ms(done.finishedAt) - ms(done.startedAt)).toBeGreaterThanOrEqual(20);

      // A retry waiting for its time is a new attempt when it runs: it starts then.
      await beginAs(store, plan, id, 'B', failing);
      const first = (await mustGet(store, id)).nodeResults.B!.startedAt;
      expect(await store.setNodeStatus(id, 'B', 'delayed', { runToken: failing })).toBe(true);
      untilClock(ms(first) + 20);
      expect((await beginAs(store, plan, id, 'B', retry, 2)).attempt).toBe(2);
      expect(ms((await mustGet(store, id)).nodeResults.B!.startedAt)).toBeGreaterThan(ms(first));
    });

    it('a node queued again before it ran (a parked start) keeps the attempt it is asked for', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      // Started by a write (attempt 1) and queued again before its job ran.
      expect((await beginAs(store, plan, id, 'A', token())).attempt).toBe(1);
      expect(await store.setNodeStatus(id, 'A', 'queued')).toBe(true);
      expect((await beginAs(store, plan, id, 'A', token(), 1)).attempt).toBe(1);
    });

    it('setNodeStatus with a token is refused while another run holds the node', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const [zombie, rerun] = [token(), token()];
      await beginAs(store, plan, id, 'A', zombie);
      await beginAs(store, plan, id, 'A', rerun);
      for (const status of ['queued', 'delayed', 'waiting'] as const) {
        expect(await store.setNodeStatus(id, 'A', status, { runToken: zombie }), status).toBe(
          false,
        );
        expect((await mustGet(store, id)).nodeResults.A?.status).toBe('running');
      }
      expect(await store.setNodeStatus(id, 'A', 'delayed', { runToken: rerun, error: 'e' })).toBe(
        true,
      );
      expect((await mustGet(store, id)).nodeResults.A).toMatchObject({
        status: 'delayed',
        error: 'e',
      });
      // Still held by the re-run: the zombie is refused, the holder accepted.
      expect(await store.setNodeStatus(id, 'A', 'waiting', { runToken: zombie })).toBe(false);
      expect(await store.setNodeStatus(id, 'A', 'waiting', { runToken: rerun })).toBe(true);
      // Without a token the call is not fenced.
      expect(await store.setNodeStatus(id, 'A', 'delayed')).toBe(true);
      expectFenced(await completeAs(store, plan, id, 'A', zombie));
    });

    it('queueing a node releases it: a later hold-keeping status is held by no run', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const [run, other] = [token(), token()];
      await beginAs(store, plan, id, 'A', run);
      // Parked (a paused execution) or re-queued by an operator: no run holds it.
      expect(await store.setNodeStatus(id, 'A', 'queued', { runToken: run })).toBe(true);
      expect(await store.setNodeStatus(id, 'A', 'delayed')).toBe(true);
      expect(await store.setNodeStatus(id, 'A', 'waiting', { runToken: other })).toBe(true);
      expect((await completeAs(store, plan, id, 'A', other)).recorded).toBe(true);
    });

    it('a DLQ retry releases the failed node and the nodes its failure cancelled', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const runs = { A: token(), B: token(), C: token(), F: token() };
      await beginAs(store, plan, id, 'A', runs.A);
      await completeAs(store, plan, id, 'A', runs.A);
      await beginAs(store, plan, id, 'B', runs.B);
      await beginAs(store, plan, id, 'C', runs.C);
      await beginAs(store, plan, id, 'F', runs.F);
      expect(await store.setNodeStatus(id, 'F', 'delayed', { runToken: runs.F })).toBe(true);
      const failed = await completeAs(store, plan, id, 'B', runs.B, { type: 'failed', error: 'x' });
      expect(failed).toMatchObject({ recorded: true, executionStatus: 'failed' });
      // Cancelled: refused, not fenced.
      expectRefusedNotFenced(await completeAs(store, plan, id, 'C', token()));

      expect(await store.retryFailedNode(id, 'B')).not.toBeNull();
      const state = await mustGet(store, id);
      expect(nodeStatuses(state)).toMatchObject({ B: 'queued', C: 'queued', F: 'queued' });
      // Made delayed/waiting without a token, each is held by no run: anyone's outcome counts.
      for (const nodeId of ['B', 'C', 'F'] as const) {
        expect(await store.setNodeStatus(id, nodeId, 'waiting')).toBe(true);
        const result = await completeAs(store, plan, id, nodeId, token());
        expect(result.recorded, nodeId).toBe(true);
      }
    });

    it('the token is never part of what the store returns', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const creator = token();
      const created = await saveAndCreate(store, plan, { start: ['A'], runToken: creator });
      const id = created.execution.executionId;
      const run = token();
      const outputs: unknown[] = [created];
      outputs.push(await beginAs(store, plan, id, 'A', run));
      outputs.push(await mustGet(store, id));
      outputs.push(await store.getExecutionSummary(id));
      outputs.push(await store.listExecutions({ workflowId: plan.workflowId }));
      outputs.push(await store.listActiveNodes({ limit: 5000 }));
      outputs.push(await store.setExecutionStatus(id, 'paused'));
      outputs.push(await store.setExecutionStatus(id, 'running'));
      outputs.push(
        await store.completeNode(plan, id, 'A', { type: 'completed' }, undefined, {
          runToken: run,
          start: ['B'],
        }),
      );
      outputs.push(await mustGet(store, id));
      const text = JSON.stringify(outputs);
      expect(text).not.toContain(run);
      expect(text).not.toContain(creator);
      expect(text).not.toContain(startedRunToken(run, 'B'));
      expect(text.toLowerCase()).not.toMatch(/run_?token/);
    });

    it('a runToken that is not a non-empty string is refused with InvalidArgumentError, changing nothing', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const run = token();
      await beginAs(store, plan, id, 'A', run);
      const before = await mustGet(store, id);
      for (const bad of ['', 42, null] as unknown as string[]) {
        const label = JSON.stringify(bad);
        const refused = [
          store.beginNodeRun(plan, id, 'A', undefined, bad),
          completeAs(store, plan, id, 'A', bad),
          completeAs(store, plan, id, 'A', bad, { type: 'failed', error: 'x' }),
          store.setNodeStatus(id, 'A', 'delayed', { runToken: bad }),
          store.createExecution({ plan, start: ['A'], runToken: bad }),
        ];
        for (const call of refused) {
          expect(await rejectionOf(call), label).toBeInstanceOf(InvalidArgumentError);
        }
      }
      expect(comparable(await mustGet(store, id))).toEqual(comparable(before));
      expectFenced(await completeAs(store, plan, id, 'A', token()));
    });

    fencedStartTests(ctx);
  });
}
