import { randomUUID } from 'node:crypto';
import { DEFAULT_TENANT, InvalidArgumentError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan, diamondPlan, entryNodePlan } from '../fixtures.js';
import {
  count,
  expectNewestFirst,
  expectTimestamp,
  idsOf,
  listAll,
  mustGet,
  nextMillisecond,
  nodeStatuses,
  saveAndCreate,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';
import { executionTimeRangeSuite } from './execution-time-range.js';

/** createExecution / getExecution / listExecutions (also by creation time), idempotency keys. */
export function executionsSuite(ctx: SuiteContext): void {
  describe('executions', () => {
    it('createExecution creates a pending execution whose entry nodes are queued', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const result = await saveAndCreate(store, plan, { initialData: { n: 1 } });
      expect(result.created).toBe(true);
      expect(result.ready).toEqual(['A']);

      const expected = {
        workflowId: plan.workflowId,
        workflowVersion: plan.version,
        tenantId: DEFAULT_TENANT,
        status: 'pending',
        depth: 0,
        metadata: {},
      };
      const statuses = { A: 'queued', B: 'pending', C: 'pending', D: 'pending' };
      for (const execution of [
        result.execution,
        await mustGet(store, result.execution.executionId),
      ]) {
        expect(execution).toMatchObject(expected);
        expect(typeof execution.executionId).toBe('string');
        expect(execution.executionId.length).toBeGreaterThan(0);
        expect(Number.isInteger(execution.version)).toBe(true);
        expect(execution.version).toBeGreaterThanOrEqual(0);
        expectTimestamp(execution.createdAt);
        expect(execution.completedAt).toBeUndefined();
        expect(execution.initialData).toEqual({ n: 1 });
        expect(nodeStatuses(execution)).toEqual(statuses);
        for (const state of Object.values(execution.nodeResults)) expect(state.attempts).toBe(0);
      }
    });

    it('createExecution uses the given id and records tenant, parent, depth, priority and metadata', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 2);
      const parent = await saveAndCreate(store, plan, { tenantId });
      const executionId = randomUUID();
      const input = {
        executionId,
        tenantId,
        parentExecutionId: parent.execution.executionId,
        parentNodeId: 'A',
        depth: 2,
        priority: 3,
        metadata: { source: 'testkit', nested: { list: [1, 'two'] } },
      };
      const result = await store.createExecution({ plan, ...input });
      expect(result.execution.executionId).toBe(executionId);
      const stored = await mustGet(store, executionId);
      expect(stored).toMatchObject(input);
      expect(result.execution).toMatchObject(input);
    });

    it('with entryNodeId, nodes unreachable from it are skipped as unreachable', async () => {
      const store = ctx.store();
      const plan = entryNodePlan(uid('wf'));
      const result = await saveAndCreate(store, plan);
      expect(result.ready).toEqual(['A']);
      const execution = await mustGet(store, result.execution.executionId);
      expect(nodeStatuses(execution)).toEqual({
        A: 'queued',
        B: 'pending',
        X: 'skipped',
        Y: 'skipped',
      });
      expect(execution.nodeResults.X?.skipReason).toBe('unreachable');
      expect(execution.nodeResults.Y?.skipReason).toBe('unreachable');
      expect(execution.status).toBe('pending');
    });

    it('getExecutionSummary is the execution without node results and initial data; null for an unknown id', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const tenantId = uid('tenant');
      const { execution } = await saveAndCreate(store, plan, {
        tenantId,
        initialData: { big: 'x'.repeat(1000) },
        metadata: { source: 'testkit' },
      });
      const summary = await store.getExecutionSummary(execution.executionId);
      const {
        nodeResults: _n,
        initialData: _i,
        ...expected
      } = await mustGet(store, execution.executionId);
      expect(summary).toEqual(expected);
      expect(summary).not.toHaveProperty('nodeResults');
      expect(summary).not.toHaveProperty('initialData');
      expect(await store.getExecutionSummary(randomUUID())).toBeNull();
    });

    it('ping resolves while the store can serve requests', async () => {
      await expect(ctx.store().ping()).resolves.toBeUndefined();
    });

    it('listExecutions refuses a NaN limit and a malformed cursor with InvalidArgumentError', async () => {
      const store = ctx.store();
      await expect(store.listExecutions({ limit: Number.NaN })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(store.listExecutions({ cursor: 'x' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(store.listActiveNodes({ cursor: 'x' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    it('every listing refuses a cursor that is not one it wrote (negative, fraction, exponent, spaces, too long) with InvalidArgumentError', async () => {
      const store = ctx.store();
      const bad = ['-1', '1.5', '1e3', ' 1', '1 ', '+1', '0x10', '', '1234567890123456789'];
      for (const cursor of bad) {
        for (const [what, listing] of [
          ['listExecutions', store.listExecutions({ cursor })],
          ['listDLQItems', store.listDLQItems({ cursor })],
          ['listActiveNodes', store.listActiveNodes({ cursor: `${cursor}:A` })],
        ] as const) {
          const error = await listing.then(
            () => expect.fail(`${what} accepted the cursor '${cursor}'`),
            (e: unknown) => e,
          );
          expect(error, `${what} with '${cursor}'`).toBeInstanceOf(InvalidArgumentError);
          expect((error as Error).message).toContain('invalid cursor');
        }
      }
    });

    it("getExecution and getExecutionSummary with a tenantId return only that tenant's execution", async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const { execution } = await saveAndCreate(store, chainPlan(uid('wf'), 2), {
        tenantId,
        initialData: { secret: 'of the tenant' },
      });
      const id = execution.executionId;
      expect((await store.getExecution(id, tenantId))?.initialData).toEqual({
        secret: 'of the tenant',
      });
      expect((await store.getExecutionSummary(id, tenantId))?.tenantId).toBe(tenantId);
      for (const other of [uid('tenant'), DEFAULT_TENANT]) {
        expect(await store.getExecution(id, other), `as ${other}`).toBeNull();
        expect(await store.getExecutionSummary(id, other), `as ${other}`).toBeNull();
      }
      expect(await store.getExecution(randomUUID(), tenantId)).toBeNull();
      expect((await store.getExecution(id))?.tenantId, 'without a tenant: any').toBe(tenantId);
    });

    it('getExecution returns null for an unknown id', async () => {
      expect(await ctx.store().getExecution(randomUUID())).toBeNull();
    });

    it('listExecutions returns summaries without node results, newest first', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const created: string[] = [];
      for (let i = 0; i < 4; i++) {
        if (i > 0) nextMillisecond();
        const r = await saveAndCreate(store, plan, { initialData: { i } });
        created.push(r.execution.executionId);
      }
      const page = await store.listExecutions({ workflowId: plan.workflowId });
      expect(page.nextCursor).toBeUndefined();
      expect(page.items.map((i) => i.executionId)).toEqual([...created].reverse());
      expectNewestFirst(page.items.map((i) => i.createdAt));
      for (const item of page.items) {
        expect(item).not.toHaveProperty('nodeResults');
        expect(item).not.toHaveProperty('initialData');
        expect(item).toMatchObject({
          workflowId: plan.workflowId,
          workflowVersion: plan.version,
          tenantId: DEFAULT_TENANT,
          status: 'pending',
        });
      }
    });

    it('listExecutions filters by workflowId, status (one or several), tenant and parent', async () => {
      const store = ctx.store();
      const t1 = uid('tenant');
      const t2 = uid('tenant');
      const wf1 = chainPlan(uid('wf'), 2);
      const wf2 = chainPlan(uid('wf'), 2);
      const create = async (plan: typeof wf1, tenantId?: string, parentExecutionId?: string) =>
        (await saveAndCreate(store, plan, { tenantId, parentExecutionId })).execution.executionId;

      const pending1 = await create(wf1, t1);
      const running1 = await create(wf1, t1);
      await store.setExecutionStatus(running1, 'running');
      const cancelled1 = await create(wf1, t1);
      await store.setExecutionStatus(cancelled1, 'cancelled');
      const pending2 = await create(wf2, t1);
      const child1 = await create(wf2, t1, running1);
      const child2 = await create(wf2, t1, running1);
      const otherTenant = await create(wf1, t2);

      const ids = async (filter: Parameters<typeof store.listExecutions>[0]) =>
        idsOf(await listAll(store, filter ?? {}));

      expect(await ids({ tenantId: t1, workflowId: wf1.workflowId })).toEqual(
        [pending1, running1, cancelled1].sort(),
      );
      expect(await ids({ tenantId: t1, status: 'running' })).toEqual([running1]);
      expect(await ids({ tenantId: t1, status: ['running'] })).toEqual([running1]);
      expect(await ids({ tenantId: t1, status: ['pending', 'cancelled'] })).toEqual(
        [pending1, cancelled1, pending2, child1, child2].sort(),
      );
      expect(
        await ids({ tenantId: t1, workflowId: wf1.workflowId, status: ['running', 'cancelled'] }),
      ).toEqual([running1, cancelled1].sort());
      expect(await ids({ tenantId: t1, parentExecutionId: running1 })).toEqual(
        [child1, child2].sort(),
      );
      expect(await ids({ tenantId: t1, status: 'completed' })).toEqual([]);
      expect(await ids({ tenantId: t2 })).toEqual([otherTenant]);
      const page = await store.listExecutions({ tenantId: t1, status: 'cancelled' });
      expect(page.items.map((i) => i.status)).toEqual(['cancelled']);
    });

    it('listExecutions without tenantId lists the default tenant only', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const inDefault = (await saveAndCreate(store, plan)).execution.executionId;
      const elsewhere = (await saveAndCreate(store, plan, { tenantId: uid('tenant') })).execution
        .executionId;
      const listed = idsOf(await listAll(store, { workflowId: plan.workflowId }));
      expect(listed).toContain(inDefault);
      expect(listed, 'TenantScope: tenantId defaults to DEFAULT_TENANT').not.toContain(elsewhere);
      expect(listed).toEqual([inDefault]);
    });

    it('pagination with limit and cursor returns every item exactly once', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 2);
      const created = new Set<string>();
      // Created back to back: many share a timestamp, so cursors must break ties.
      for (let i = 0; i < 7; i++) {
        created.add((await saveAndCreate(store, plan, { tenantId })).execution.executionId);
      }

      const sizes: number[] = [];
      const seen: string[] = [];
      const createdAt: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listExecutions({
          tenantId,
          workflowId: plan.workflowId,
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        });
        sizes.push(page.items.length);
        seen.push(...page.items.map((i) => i.executionId));
        createdAt.push(...page.items.map((i) => i.createdAt));
        cursor = page.nextCursor;
      } while (cursor !== undefined && sizes.length < 10);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(created);
      expectNewestFirst(createdAt);

      const one = await listAll(store, { tenantId, limit: 1 });
      expect(one.map((i) => i.executionId)).toEqual(seen);
    });

    it('pagination ends when the item count is a multiple of the limit', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 2);
      const created = new Set<string>();
      for (let i = 0; i < 6; i++) {
        created.add((await saveAndCreate(store, plan, { tenantId })).execution.executionId);
      }
      const pages: number[] = [];
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listExecutions({
          tenantId,
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        });
        pages.push(page.items.length);
        seen.push(...page.items.map((i) => i.executionId));
        cursor = page.nextCursor;
      } while (cursor !== undefined && pages.length < 10);
      expect(seen).toHaveLength(6);
      expect(new Set(seen)).toEqual(created);
      expect([
        [3, 3],
        [3, 3, 0],
      ]).toContainEqual(pages);
    });

    it('listExecutions returns 50 items per page by default', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 1);
      await store.saveWorkflow(plan, { tenantId });
      for (let i = 0; i < 55; i++) await store.createExecution({ plan, tenantId });
      const first = await store.listExecutions({ tenantId });
      expect(first.items).toHaveLength(50);
      expect(first.nextCursor).toBeDefined();
      const second = await store.listExecutions({ tenantId, cursor: first.nextCursor! });
      expect(second.items).toHaveLength(5);
      expect(second.nextCursor).toBeUndefined();
    });

    executionTimeRangeSuite(ctx);

    it('an idempotency key returns the existing execution unchanged', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const idempotencyKey = uid('key');
      const first = await saveAndCreate(store, plan, { idempotencyKey, initialData: { call: 1 } });
      expect(first.created).toBe(true);
      expect(first.ready).toEqual(['A']);
      expect(first.execution.idempotencyKey).toBe(idempotencyKey);

      const second = await store.createExecution({
        plan,
        idempotencyKey,
        initialData: { call: 2 },
      });
      expect(second.created).toBe(false);
      expect(second.ready).toEqual([]);
      expect(second.execution.executionId).toBe(first.execution.executionId);
      expect(second.execution.initialData).toEqual({ call: 1 });
      expect(await listAll(store, { workflowId: plan.workflowId })).toHaveLength(1);
      expect((await mustGet(store, first.execution.executionId)).initialData).toEqual({ call: 1 });
    });

    it('of 20 concurrent calls with the same idempotency key exactly one creates', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 2);
      await store.saveWorkflow(plan, { tenantId });
      const idempotencyKey = uid('key');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.createExecution({ plan, tenantId, idempotencyKey, initialData: { i } }),
        ),
      );
      expect(count(results, (r) => r.created)).toBe(1);
      const ids = new Set(results.map((r) => r.execution.executionId));
      expect(ids.size).toBe(1);
      for (const r of results) expect(r.ready).toEqual(r.created ? ['A'] : []);
      const winner = results.find((r) => r.created)!;
      for (const r of results)
        expect(r.execution.initialData).toEqual(winner.execution.initialData);
      expect(await listAll(store, { tenantId })).toHaveLength(1);
    });

    it('idempotency keys are per tenant', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const idempotencyKey = uid('key');
      const t1 = uid('tenant');
      const t2 = uid('tenant');
      const a = await saveAndCreate(store, plan, { tenantId: t1, idempotencyKey });
      const b = await saveAndCreate(store, plan, { tenantId: t2, idempotencyKey });
      expect(a.created).toBe(true);
      expect(b.created).toBe(true);
      expect(b.execution.executionId).not.toBe(a.execution.executionId);
      expect(b.execution.tenantId).toBe(t2);
      const again = await store.createExecution({ plan, tenantId: t1, idempotencyKey });
      expect(again.created).toBe(false);
      expect(again.execution.executionId).toBe(a.execution.executionId);
    });
  });
}
