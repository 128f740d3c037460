import { randomUUID } from 'node:crypto';
import { ExecutionNotFoundError, VersionConflictError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan, failurePlan } from '../fixtures.js';
import { begin, count, mustGet, rejectionOf, runNode, saveAndCreate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

/** The `version` counter: expectedVersion checks and bumps. */
export function optimisticLockSuite(ctx: SuiteContext): void {
  describe('optimistic-lock', () => {
    it('updateExecutionMetadata shallow-merges and bumps version', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (
        await saveAndCreate(store, plan, { metadata: { a: 1, nested: { x: 1 }, keep: true } })
      ).execution.executionId;
      const v0 = (await mustGet(store, id)).version;

      const first = await store.updateExecutionMetadata(
        id,
        { b: 2, nested: { y: 2 } },
        { expectedVersion: v0 },
      );
      expect(first.metadata).toEqual({ a: 1, b: 2, nested: { y: 2 }, keep: true });
      expect(first.version).toBeGreaterThan(v0);
      expect(await mustGet(store, id)).toMatchObject({
        metadata: first.metadata,
        version: first.version,
      });

      const second = await store.updateExecutionMetadata(id, { a: 'replaced' });
      expect(second.metadata).toEqual({ a: 'replaced', b: 2, nested: { y: 2 }, keep: true });
      expect(second.version).toBeGreaterThan(first.version);
    });

    it('a wrong expectedVersion throws VersionConflictError and changes nothing', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan, { metadata: { a: 1 } })).execution.executionId;
      const stale = (await mustGet(store, id)).version;
      const current = (await store.updateExecutionMetadata(id, { b: 2 })).version;
      const before = await mustGet(store, id);

      for (const expectedVersion of [stale, current + 5]) {
        const error = await rejectionOf(
          store.updateExecutionMetadata(id, { c: 3 }, { expectedVersion }),
        );
        expect(error).toBeInstanceOf(VersionConflictError);
        expect(error).toMatchObject({ executionId: id, expectedVersion, actualVersion: current });
      }
      await expect(
        store.updateExecutionMetadata(id, { c: 3 }, { expectedVersion: stale }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await mustGet(store, id)).toEqual(before);
    });

    it('of 10 concurrent updates expecting the same version exactly one succeeds', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const expectedVersion = (await mustGet(store, id)).version;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.updateExecutionMetadata(id, { winner: i }, { expectedVersion }),
        ),
      );
      expect(count(results, (r) => r.status === 'fulfilled')).toBe(1);
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(VersionConflictError);
          expect((r.reason as VersionConflictError).expectedVersion).toBe(expectedVersion);
        }
      }
      const state = await mustGet(store, id);
      expect(state.metadata).toEqual({ winner });
      expect(state.version).toBeGreaterThan(expectedVersion);
    });

    it('setExecutionStatus with a stale expectedVersion throws VersionConflictError', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const stale = (await mustGet(store, id)).version;
      const running = await store.setExecutionStatus(id, 'running', { expectedVersion: stale });
      expect(running.status).toBe('running');

      const error = await rejectionOf(
        store.setExecutionStatus(id, 'paused', { expectedVersion: stale }),
      );
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ expectedVersion: stale, actualVersion: running.version });
      expect((await mustGet(store, id)).status).toBe('running');

      const paused = await store.setExecutionStatus(id, 'paused', {
        expectedVersion: running.version,
      });
      expect(paused.status).toBe('paused');
    });

    it('throws ExecutionNotFoundError for an unknown execution', async () => {
      await expect(
        ctx.store().updateExecutionMetadata(randomUUID(), { a: 1 }),
      ).rejects.toBeInstanceOf(ExecutionNotFoundError);
    });

    it('status changes bump version; refused calls do not', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = (await saveAndCreate(store, plan)).execution.executionId;
      const version = async () => (await mustGet(store, id)).version;
      let v = await version();

      await begin(store, plan, id, 'A');
      expect(await version(), 'beginNodeRun: pending → running').toBeGreaterThan(v);
      v = await version();
      expect((await store.completeNode(plan, id, 'A', { type: 'completed' })).recorded).toBe(true);
      v = await version();
      expect((await store.completeNode(plan, id, 'A', { type: 'completed' })).recorded).toBe(false);
      expect(await version(), 'refused completeNode').toBe(v);
      expect((await store.beginNodeRun(plan, id, 'E')).started).toBe(false);
      expect(await version(), 'refused beginNodeRun').toBe(v);

      await begin(store, plan, id, 'B');
      v = await version();
      const failed = await store.completeNode(plan, id, 'B', { type: 'failed', error: 'x' });
      expect(failed.finished).toBe(true);
      expect(await version(), 'completeNode: running → failed').toBeGreaterThan(v);
      v = await version();

      expect(await store.retryFailedNode(id, 'B')).not.toBeNull();
      expect(await version(), 'retryFailedNode: failed → running').toBeGreaterThan(v);
      v = await version();
      expect(await store.retryFailedNode(id, 'B')).toBeNull();
      expect(await version(), 'refused retryFailedNode').toBe(v);

      for (const nodeId of ['B', 'C', 'D', 'F', 'G']) await runNode(store, plan, id, nodeId);
      v = await version();
      const done = await runNode(store, plan, id, 'E');
      expect(done.finished).toBe(true);
      expect(await version(), 'completeNode: running → completed').toBeGreaterThan(v);
    });
  });
}
