import { randomUUID } from 'node:crypto';
import {
  DEFAULT_TENANT,
  type DLQItem,
  type ExecutionStore,
  InvalidArgumentError,
  type NewDLQItem,
  type WorkflowPlan,
} from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan, failurePlan } from '../fixtures.js';
import {
  begin,
  count,
  expectTimestamp,
  listAllDLQ,
  ms,
  mustGet,
  nodeStatuses,
  runNode,
  saveAndCreate,
  sorted,
  uid,
  withMs,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';

function newItem(overrides: Partial<NewDLQItem> = {}): NewDLQItem {
  return {
    workflowId: 'wf',
    executionId: randomUUID(),
    nodeId: 'A',
    error: 'failed for good',
    attempts: 3,
    ...overrides,
  };
}

const comparable = (item: DLQItem | null) => (item === null ? null : withMs(item, 'failedAt'));

/** A failurePlan execution whose node B failed for good (C, D, F, G cancelled, E pending). */
async function failedExecution(store: ExecutionStore, plan: WorkflowPlan): Promise<string> {
  const id = (await saveAndCreate(store, plan)).execution.executionId;
  await runNode(store, plan, id, 'A');
  await begin(store, plan, id, 'B');
  await begin(store, plan, id, 'C');
  await store.setNodeStatus(id, 'F', 'delayed');
  await store.setNodeStatus(id, 'G', 'waiting');
  const failed = await store.completeNode(plan, id, 'B', { type: 'failed', error: 'fatal' });
  expect(failed).toMatchObject({ recorded: true, finished: true, executionStatus: 'failed' });
  return id;
}

/** The dead letter queue and retryFailedNode. */
export function dlqRetrySuite(ctx: SuiteContext): void {
  describe('dlq-retry', () => {
    it('addDLQItem assigns an id and failedAt; getDLQItem returns the item', async () => {
      const store = ctx.store();
      const input = newItem({
        tenantId: uid('tenant'),
        inputData: { zero: 0, text: '😀 漢字', list: [null, false] },
        stack: 'Error: x\n    at y',
      });
      const item = await store.addDLQItem(structuredClone(input));
      expect(typeof item.id).toBe('string');
      expect(item.id.length).toBeGreaterThan(0);
      expectTimestamp(item.failedAt);
      expect(item).toMatchObject(input);
      expect(comparable(await store.getDLQItem(item.id))).toEqual(comparable(item));

      const failedAt = '2021-02-03T04:05:06.789Z';
      const dated = await store.addDLQItem(newItem({ failedAt }));
      expect(ms(dated.failedAt)).toBe(ms(failedAt));
      expect(dated.id).not.toBe(item.id);
      expect(ms((await store.getDLQItem(dated.id))?.failedAt)).toBe(ms(failedAt));

      expect(await store.getDLQItem(randomUUID())).toBeNull();
    });

    it("getDLQItem with a tenantId returns only that tenant's item", async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const item = await store.addDLQItem(newItem({ tenantId }));
      const plain = await store.addDLQItem(newItem());
      expect((await store.getDLQItem(item.id, tenantId))?.id).toBe(item.id);
      expect(await store.getDLQItem(item.id, uid('tenant'))).toBeNull();
      expect(await store.getDLQItem(item.id, DEFAULT_TENANT)).toBeNull();
      expect((await store.getDLQItem(item.id))?.tenantId, 'without a tenant: any').toBe(tenantId);
      expect((await store.getDLQItem(plain.id, DEFAULT_TENANT))?.id, 'no tenant: default').toBe(
        plain.id,
      );
      expect(await store.getDLQItem(plain.id, tenantId)).toBeNull();
    });

    it('listDLQItems lists newest first in pages by cursor, per tenant; countDLQItems counts', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const other = uid('tenant');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const failedAt = new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString();
        ids.push((await store.addDLQItem(newItem({ tenantId, nodeId: `N${i}`, failedAt }))).id);
      }
      const otherItem = await store.addDLQItem(newItem({ tenantId: other }));
      const newest = [...ids].reverse();

      const all = await store.listDLQItems({ tenantId });
      expect(all.items.map((i) => i.id)).toEqual(newest);
      expect(all.items.map((i) => i.nodeId)).toEqual(['N4', 'N3', 'N2', 'N1', 'N0']);
      expect(all.nextCursor).toBeUndefined();

      const first = await store.listDLQItems({ tenantId, limit: 2 });
      expect(first.items.map((i) => i.id)).toEqual(newest.slice(0, 2));
      expect(typeof first.nextCursor).toBe('string');
      const second = await store.listDLQItems({ tenantId, limit: 2, cursor: first.nextCursor });
      expect(second.items.map((i) => i.id)).toEqual(newest.slice(2, 4));
      const third = await store.listDLQItems({ tenantId, limit: 2, cursor: second.nextCursor });
      expect(third.items.map((i) => i.id)).toEqual(newest.slice(4, 5));
      expect(third.nextCursor, 'no cursor on the last page').toBeUndefined();
      const exact = await store.listDLQItems({ tenantId, limit: 5 });
      expect(exact.items).toHaveLength(5);
      expect(exact.nextCursor, 'a full last page has no cursor').toBeUndefined();
      expect((await listAllDLQ(store, { tenantId, limit: 1 })).map((i) => i.id)).toEqual(newest);

      expect((await store.listDLQItems({ tenantId: other })).items.map((i) => i.id)).toEqual([
        otherItem.id,
      ]);
      expect(await store.countDLQItems({ tenantId })).toBe(5);
      expect(await store.countDLQItems({ tenantId: other })).toBe(1);
      expect(await store.countDLQItems({ tenantId: uid('tenant') })).toBe(0);
      expect(await store.countDLQItems({ allTenants: true })).toBeGreaterThanOrEqual(6);
    });

    it('listDLQItems refuses a malformed cursor or a NaN limit with InvalidArgumentError', async () => {
      const store = ctx.store();
      await expect(store.listDLQItems({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(store.listDLQItems({ limit: Number.NaN })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    it('items without a tenant belong to the default tenant, which listDLQItems lists by default', async () => {
      const store = ctx.store();
      const first = await store.addDLQItem(newItem({ failedAt: '2031-01-01T00:00:00.000Z' }));
      const second = await store.addDLQItem(newItem({ failedAt: '2031-01-01T00:00:01.000Z' }));
      const tenantItem = await store.addDLQItem(
        newItem({ tenantId: uid('tenant'), failedAt: '2031-01-01T00:00:02.000Z' }),
      );
      const listed = (await listAllDLQ(store, {})).map((i) => i.id);
      expect(listed).toContain(first.id);
      expect(listed, 'TenantScope: tenantId defaults to DEFAULT_TENANT').not.toContain(
        tenantItem.id,
      );
      expect((await listAllDLQ(store, { tenantId: DEFAULT_TENANT })).map((i) => i.id)).toContain(
        first.id,
      );
      expect(listed.indexOf(second.id)).toBeLessThan(listed.indexOf(first.id));
      expect(listed.indexOf(second.id)).toBeGreaterThanOrEqual(0);
      // allTenants: every tenant's items, newest first.
      const everyTenant = (await listAllDLQ(store, { allTenants: true })).map((i) => i.id);
      expect(everyTenant).toEqual(expect.arrayContaining([first.id, second.id, tenantItem.id]));
      expect(everyTenant.indexOf(tenantItem.id)).toBeLessThan(everyTenant.indexOf(second.id));
    });

    it('removeDLQItem returns true once, then false; of concurrent removes exactly one wins', async () => {
      const store = ctx.store();
      const item = await store.addDLQItem(newItem());
      expect(await store.removeDLQItem(item.id)).toBe(true);
      expect(await store.removeDLQItem(item.id)).toBe(false);
      expect(await store.getDLQItem(item.id)).toBeNull();
      expect(await store.removeDLQItem(randomUUID())).toBe(false);

      const contested = await store.addDLQItem(newItem());
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.removeDLQItem(contested.id)),
      );
      expect(count(results, (r) => r)).toBe(1);
      expect(await store.getDLQItem(contested.id)).toBeNull();
    });

    it('retryFailedNode revives a failed execution, which can then complete', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = await failedExecution(store, plan);

      const retry = await store.retryFailedNode(id, 'B');
      expect(retry).not.toBeNull();
      expect(sorted(retry!.ready)).toEqual(['B', 'C', 'D', 'F', 'G']);
      const state = await mustGet(store, id);
      expect(state.status).toBe('running');
      expect(state.error).toBeUndefined();
      expect(state.completedAt).toBeUndefined();
      expect(nodeStatuses(state)).toEqual({
        A: 'completed',
        B: 'queued',
        C: 'queued',
        D: 'queued',
        F: 'queued',
        G: 'queued',
        E: 'pending',
      });

      const b = await runNode(store, plan, id, 'B', { type: 'completed', data: 'b' });
      expect(b).toMatchObject({ recorded: true, ready: ['E'], finished: false });
      const results = [];
      for (const nodeId of ['C', 'D', 'F', 'G'])
        results.push(await runNode(store, plan, id, nodeId));
      const e = await begin(store, plan, id, 'E');
      expect(e.inputData).toBe('b');
      results.push(await store.completeNode(plan, id, 'E', { type: 'completed' }));
      expect(results.map((r) => r.finished)).toEqual([false, false, false, false, true]);
      const done = await mustGet(store, id);
      expect(done.status).toBe('completed');
      expectTimestamp(done.completedAt);
    });

    it('of concurrent retryFailedNode calls exactly one receives the list', async () => {
      const store = ctx.store();
      const plan = failurePlan(uid('wf'));
      const id = await failedExecution(store, plan);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.retryFailedNode(id, 'B')),
      );
      expect(count(results, (r) => r !== null)).toBe(1);
      expect((await mustGet(store, id)).status).toBe('running');
    });

    it('retryFailedNode returns null unless the execution and the node failed', async () => {
      const store = ctx.store();
      const chain = chainPlan(uid('wf'), 2);
      const running = (await saveAndCreate(store, chain)).execution.executionId;
      await begin(store, chain, running, 'A');
      const runningBefore = await mustGet(store, running);
      expect(await store.retryFailedNode(running, 'A')).toBeNull();
      expect(await mustGet(store, running)).toEqual(runningBefore);

      const completed = (await saveAndCreate(store, chain)).execution.executionId;
      await runNode(store, chain, completed, 'A');
      await runNode(store, chain, completed, 'B');
      expect(await store.retryFailedNode(completed, 'B')).toBeNull();
      expect((await mustGet(store, completed)).status).toBe('completed');

      const plan = failurePlan(uid('wf'));
      const failed = await failedExecution(store, plan);
      const failedBefore = await mustGet(store, failed);
      expect(await store.retryFailedNode(failed, 'A'), 'a completed node').toBeNull();
      expect(await store.retryFailedNode(failed, 'C'), 'a cancelled node').toBeNull();
      expect(await store.retryFailedNode(failed, 'E'), 'a pending node').toBeNull();
      expect(await mustGet(store, failed)).toEqual(failedBefore);

      const failedByStatus = (await saveAndCreate(store, chain)).execution.executionId;
      await store.setExecutionStatus(failedByStatus, 'failed', { error: 'timeout' });
      expect(await store.retryFailedNode(failedByStatus, 'A'), 'no failed node').toBeNull();
      expect((await mustGet(store, failedByStatus)).status).toBe('failed');
    });
  });
}
