import { randomUUID } from 'node:crypto';
import { ExecutionNotFoundError, type ExecutionStatus, InvalidTransitionError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { branchPlan, chainPlan, failurePlan } from '../fixtures.js';
import {
  begin,
  count,
  expectTimestamp,
  mustGet,
  nodeStatuses,
  rejectionOf,
  runNode,
  saveAndCreate,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';

const ALL_STATUSES: ExecutionStatus[] = [
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

async function expectInvalidTransition(
  promise: Promise<unknown>,
  from: ExecutionStatus,
  to: ExecutionStatus,
): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(InvalidTransitionError);
  expect((error as InvalidTransitionError).from).toBe(from);
  expect((error as InvalidTransitionError).to).toBe(to);
}

/** setExecutionStatus: the lifecycle, cancellation, completedAt, version. */
export function statusTransitionsSuite(ctx: SuiteContext): void {
  describe('status-transitions', () => {
    it('running → paused → running, bumping version on every change', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const created = await saveAndCreate(store, plan);
      const id = created.execution.executionId;
      let version = (await mustGet(store, id)).version;
      for (const status of ['running', 'paused', 'running'] as const) {
        const state = await store.setExecutionStatus(id, status);
        expect(state.status).toBe(status);
        expect(state.version, `version after → ${status}`).toBeGreaterThan(version);
        expect(state.completedAt).toBeUndefined();
        const stored = await mustGet(store, id);
        expect(stored.status).toBe(status);
        expect(stored.version).toBe(state.version);
        version = state.version;
      }
      expect(nodeStatuses(await mustGet(store, id))).toEqual({
        A: 'queued',
        B: 'pending',
        C: 'pending',
      });
    });

    it('cancelling cancels every node that is not settled and sets completedAt', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A');
      await begin(store, plan, id, 'B');
      await store.setNodeStatus(id, 'F', 'delayed');
      await store.setNodeStatus(id, 'G', 'waiting');
      const before = await mustGet(store, id);

      const state = await store.setExecutionStatus(id, 'cancelled');
      expect(state.status).toBe('cancelled');
      expect(state.version).toBeGreaterThan(before.version);
      expectTimestamp(state.completedAt);
      const expected = {
        A: 'completed',
        B: 'cancelled',
        C: 'cancelled',
        D: 'cancelled',
        F: 'cancelled',
        G: 'cancelled',
        E: 'cancelled',
      };
      expect(nodeStatuses(state)).toEqual(expected);
      expect(nodeStatuses(await mustGet(store, id))).toEqual(expected);
      expect((await mustGet(store, id)).status).toBe('cancelled');
    });

    it('cancelling leaves skipped and completed nodes as they are', async () => {
      const store = ctx.store();
      const plan = branchPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A', { type: 'completed', data: 'a', nextNodes: ['B'] });
      await store.setExecutionStatus(id, 'cancelled');
      const state = await mustGet(store, id);
      expect(nodeStatuses(state)).toEqual({
        A: 'completed',
        B: 'cancelled',
        C: 'skipped',
        D: 'cancelled',
        E: 'skipped',
        J: 'cancelled',
      });
      expect(state.nodeResults.A?.data).toBe('a');
      expect(state.nodeResults.C?.skipReason).toBe('not-selected');
    });

    it('failing by setExecutionStatus cancels active nodes and leaves pending ones', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A');
      await begin(store, plan, id, 'B');
      await store.setNodeStatus(id, 'F', 'delayed');
      await store.setNodeStatus(id, 'G', 'waiting');
      const state = await store.setExecutionStatus(id, 'failed', { error: 'timed out' });
      expect(state.status).toBe('failed');
      expect(state.error).toBe('timed out');
      expectTimestamp(state.completedAt);
      expect(nodeStatuses(await mustGet(store, id))).toEqual({
        A: 'completed',
        B: 'cancelled',
        C: 'cancelled',
        D: 'cancelled',
        F: 'cancelled',
        G: 'cancelled',
        E: 'pending',
      });
    });

    it('completed is final: every change is rejected with InvalidTransitionError', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 1);
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      await runNode(store, plan, id, 'A');
      const before = await mustGet(store, id);
      expect(before.status).toBe('completed');
      for (const to of ALL_STATUSES) {
        await expect(store.setExecutionStatus(id, to)).rejects.toBeInstanceOf(
          InvalidTransitionError,
        );
        await expectInvalidTransition(store.setExecutionStatus(id, to), 'completed', to);
      }
      expect(await mustGet(store, id)).toEqual(before);
    });

    it('cancelled is final; failed is not revived by setExecutionStatus; pending cannot complete', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const cancelled = (await saveAndCreate(store, plan)).execution.executionId;
      await store.setExecutionStatus(cancelled, 'running');
      await store.setExecutionStatus(cancelled, 'cancelled');
      await expectInvalidTransition(
        store.setExecutionStatus(cancelled, 'running'),
        'cancelled',
        'running',
      );
      await expectInvalidTransition(
        store.setExecutionStatus(cancelled, 'completed'),
        'cancelled',
        'completed',
      );
      expect((await mustGet(store, cancelled)).status).toBe('cancelled');

      const failed = (await saveAndCreate(store, plan)).execution.executionId;
      await store.setExecutionStatus(failed, 'running');
      await store.setExecutionStatus(failed, 'failed', { error: 'x' });
      await expectInvalidTransition(
        store.setExecutionStatus(failed, 'running'),
        'failed',
        'running',
      );
      expect((await mustGet(store, failed)).status).toBe('failed');

      const pending = (await saveAndCreate(store, plan)).execution.executionId;
      await expectInvalidTransition(
        store.setExecutionStatus(pending, 'completed'),
        'pending',
        'completed',
      );
      expect((await mustGet(store, pending)).status).toBe('pending');
    });

    it('of concurrent identical changes exactly one succeeds; the others get InvalidTransitionError', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      for (const [prepare, to] of [
        [['running'], 'cancelled'],
        [['running'], 'paused'],
        [[], 'running'],
        [['running', 'paused'], 'running'],
      ] as [ExecutionStatus[], ExecutionStatus][]) {
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        for (const status of prepare) await store.setExecutionStatus(id, status);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.setExecutionStatus(id, to)),
        );
        expect(
          count(results, (r) => r.status === 'fulfilled'),
          `→ ${to}`,
        ).toBe(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(InvalidTransitionError);
            expect((r.reason as InvalidTransitionError).to).toBe(to);
          }
        }
        expect((await mustGet(store, id)).status).toBe(to);
      }
    });

    it('terminal statuses set completedAt; others leave it unset', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      for (const to of ['completed', 'failed', 'cancelled'] as const) {
        const id = (await saveAndCreate(store, plan)).execution.executionId;
        const running = await store.setExecutionStatus(id, 'running');
        expect(running.completedAt).toBeUndefined();
        const paused = await store.setExecutionStatus(id, 'paused');
        expect(paused.completedAt).toBeUndefined();
        const state = await store.setExecutionStatus(id, to);
        expect(state.status).toBe(to);
        expectTimestamp(state.completedAt);
        expectTimestamp((await mustGet(store, id)).completedAt);
        expect(state.version).toBeGreaterThan(paused.version);
      }
    });

    it('setExecutionStatus throws ExecutionNotFoundError for an unknown execution', async () => {
      await expect(ctx.store().setExecutionStatus(randomUUID(), 'running')).rejects.toBeInstanceOf(
        ExecutionNotFoundError,
      );
    });
  });
}
