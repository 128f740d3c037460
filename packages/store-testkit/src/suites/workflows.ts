import { DEFAULT_TENANT } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { count, expectOldestFirst, expectTimestamp, ms, nextMillisecond, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

/** saveWorkflow / getWorkflow / listWorkflows / listWorkflowVersions / deleteWorkflow. */
export function workflowsSuite(ctx: SuiteContext): void {
  describe('workflows', () => {
    it('saveWorkflow reports created: true, then false for the same plan', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'));

      const first = await store.saveWorkflow(plan, { tenantId });
      expect(first.created).toBe(true);
      expect(first.workflow).toMatchObject({
        tenantId,
        workflowId: plan.workflowId,
        version: plan.version,
      });
      expect(first.workflow.definition).toEqual(plan.definition);
      expectTimestamp(first.workflow.createdAt);

      nextMillisecond();
      const second = await store.saveWorkflow(plan, { tenantId });
      expect(second.created).toBe(false);
      expect(second.workflow.version).toBe(plan.version);
      expect(ms(second.workflow.createdAt), 'createdAt is when the version was first saved').toBe(
        ms(first.workflow.createdAt),
      );
      expect(await store.listWorkflowVersions(plan.workflowId, { tenantId })).toHaveLength(1);
    });

    it('saves in the default tenant when no tenant is given', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'));
      const { workflow } = await store.saveWorkflow(plan);
      expect(workflow.tenantId).toBe(DEFAULT_TENANT);
      expect((await store.getWorkflow(plan.workflowId))?.version).toBe(plan.version);
      expect(
        (await store.getWorkflow(plan.workflowId, { tenantId: DEFAULT_TENANT }))?.version,
      ).toBe(plan.version);
      expect(await store.getWorkflow(plan.workflowId, { tenantId: uid('tenant') })).toBeNull();
    });

    it('a changed definition is a new version and becomes current; re-saving an old one makes it current again', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const workflowId = uid('wf');
      const v1 = chainPlan(workflowId, 3, '1');
      const v2 = chainPlan(workflowId, 3, '2');
      const v3 = chainPlan(workflowId, 4, '3');
      expect(new Set([v1.version, v2.version, v3.version]).size).toBe(3);

      expect((await store.saveWorkflow(v1, { tenantId })).created).toBe(true);
      nextMillisecond();
      expect((await store.saveWorkflow(v2, { tenantId })).created).toBe(true);
      expect((await store.getWorkflow(workflowId, { tenantId }))?.version).toBe(v2.version);
      nextMillisecond();
      expect((await store.saveWorkflow(v3, { tenantId })).created).toBe(true);
      const current = await store.getWorkflow(workflowId, { tenantId });
      expect(current?.version).toBe(v3.version);
      expect(current?.definition).toEqual(v3.definition);

      const versions = await store.listWorkflowVersions(workflowId, { tenantId });
      expect(versions.map((v) => v.version)).toEqual([v1.version, v2.version, v3.version]);
      expectOldestFirst(versions.map((v) => v.createdAt));
      for (const v of versions) expect(v).toMatchObject({ tenantId, workflowId });

      nextMillisecond();
      const again = await store.saveWorkflow(v1, { tenantId });
      expect(again.created).toBe(false);
      expect((await store.getWorkflow(workflowId, { tenantId }))?.version).toBe(v1.version);
      const listed = await store.listWorkflows({ tenantId });
      expect(listed.map((w) => [w.workflowId, w.version])).toEqual([[workflowId, v1.version]]);
      const after = await store.listWorkflowVersions(workflowId, { tenantId });
      expect(
        after.map((v) => v.version),
        'versions keep the order of their first save',
      ).toEqual([v1.version, v2.version, v3.version]);
    });

    it('getWorkflow returns a given version, and null for unknown ids and versions', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const workflowId = uid('wf');
      const v1 = chainPlan(workflowId, 2, '1');
      const v2 = chainPlan(workflowId, 3, '2');
      await store.saveWorkflow(v1, { tenantId });
      await store.saveWorkflow(v2, { tenantId });

      const old = await store.getWorkflow(workflowId, { tenantId, version: v1.version });
      expect(old?.version).toBe(v1.version);
      expect(old?.definition).toEqual(v1.definition);
      expect(
        (await store.getWorkflow(workflowId, { tenantId, version: v2.version }))?.version,
      ).toBe(v2.version);
      expect(
        await store.getWorkflow(workflowId, { tenantId, version: 'no-such-version' }),
      ).toBeNull();
      expect(await store.getWorkflow(uid('missing'), { tenantId })).toBeNull();
      expect(await store.getWorkflow(uid('missing'), { tenantId, version: v1.version })).toBeNull();
    });

    it('isolates tenants: the same workflow id in two tenants', async () => {
      const store = ctx.store();
      const a = uid('tenant-a');
      const b = uid('tenant-b');
      const workflowId = uid('wf');
      const planA = chainPlan(workflowId, 2, 'a');
      const planB = chainPlan(workflowId, 3, 'b');
      expect((await store.saveWorkflow(planA, { tenantId: a })).created).toBe(true);
      expect(
        (await store.saveWorkflow(planB, { tenantId: b })).created,
        'a version is new per tenant',
      ).toBe(true);
      expect(
        (await store.saveWorkflow(planA, { tenantId: b })).created,
        'the same version in another tenant is new there',
      ).toBe(true);
      await store.saveWorkflow(planB, { tenantId: b });

      expect((await store.getWorkflow(workflowId, { tenantId: a }))?.version).toBe(planA.version);
      expect((await store.getWorkflow(workflowId, { tenantId: a }))?.tenantId).toBe(a);
      expect((await store.getWorkflow(workflowId, { tenantId: b }))?.version).toBe(planB.version);
      expect(
        await store.getWorkflow(workflowId, { tenantId: a, version: planB.version }),
      ).toBeNull();
      expect(await store.getWorkflow(workflowId)).toBeNull();
      expect(
        (await store.listWorkflowVersions(workflowId, { tenantId: a })).map((v) => v.version),
      ).toEqual([planA.version]);
      const listA = await store.listWorkflows({ tenantId: a });
      expect(listA.map((w) => [w.tenantId, w.workflowId, w.version])).toEqual([
        [a, workflowId, planA.version],
      ]);

      expect(await store.deleteWorkflow(workflowId, { tenantId: a })).toBe(true);
      expect(await store.getWorkflow(workflowId, { tenantId: a })).toBeNull();
      expect((await store.getWorkflow(workflowId, { tenantId: b }))?.version).toBe(planB.version);
      expect((await store.listWorkflows({ tenantId: b })).map((w) => w.workflowId)).toEqual([
        workflowId,
      ]);
      expect(await store.deleteWorkflow(workflowId)).toBe(false);
    });

    it('deleteWorkflow returns true once, then false; versions stay readable', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const workflowId = uid('wf');
      const v1 = chainPlan(workflowId, 2, '1');
      const v2 = chainPlan(workflowId, 3, '2');
      await store.saveWorkflow(v1, { tenantId });
      nextMillisecond();
      await store.saveWorkflow(v2, { tenantId });

      expect(await store.deleteWorkflow(workflowId, { tenantId })).toBe(true);
      expect(await store.deleteWorkflow(workflowId, { tenantId })).toBe(false);
      expect(await store.deleteWorkflow(uid('missing'), { tenantId })).toBe(false);

      expect(await store.getWorkflow(workflowId, { tenantId })).toBeNull();
      expect(
        (await store.getWorkflow(workflowId, { tenantId, version: v1.version }))?.version,
      ).toBe(v1.version);
      expect(
        (await store.getWorkflow(workflowId, { tenantId, version: v2.version }))?.version,
      ).toBe(v2.version);
      expect(
        (await store.listWorkflowVersions(workflowId, { tenantId })).map((v) => v.version),
      ).toEqual([v1.version, v2.version]);
      expect(await store.listWorkflows({ tenantId })).toEqual([]);

      await store.saveWorkflow(v2, { tenantId });
      expect(
        (await store.getWorkflow(workflowId, { tenantId }))?.version,
        'saving a version again makes it current again',
      ).toBe(v2.version);
      expect((await store.listWorkflows({ tenantId })).map((w) => w.workflowId)).toEqual([
        workflowId,
      ]);
    });

    it('listWorkflows returns the current version of each workflow that is not deleted', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const [x, y, z] = [uid('wf-x'), uid('wf-y'), uid('wf-z')];
      const x1 = chainPlan(x, 2, '1');
      const x2 = chainPlan(x, 3, '2');
      const y1 = chainPlan(y, 2);
      const z1 = chainPlan(z, 2);
      for (const p of [x1, x2, y1, z1]) await store.saveWorkflow(p, { tenantId });
      await store.saveWorkflow(chainPlan(uid('wf-other'), 2), { tenantId: uid('tenant') });
      expect(await store.deleteWorkflow(z, { tenantId })).toBe(true);

      const listed = await store.listWorkflows({ tenantId });
      const byId = Object.fromEntries(listed.map((w) => [w.workflowId, w.version]));
      expect(listed).toHaveLength(2);
      expect(byId).toEqual({ [x]: x2.version, [y]: y1.version });
      for (const w of listed) {
        expect(w.tenantId).toBe(tenantId);
        expect(w.definition).toEqual(w.workflowId === x ? x2.definition : y1.definition);
      }
    });

    it('listWorkflows with allTenants lists the current workflows of every tenant', async () => {
      const store = ctx.store();
      const [t1, t2] = [uid('tenant'), uid('tenant')];
      const shared = uid('wf');
      const a = chainPlan(shared, 2, 'a');
      const b = chainPlan(shared, 3, 'b');
      const gone = chainPlan(uid('wf'), 2);
      await store.saveWorkflow(a, { tenantId: t1 });
      await store.saveWorkflow(b, { tenantId: t2 });
      await store.saveWorkflow(gone, { tenantId: t2 });
      expect(await store.deleteWorkflow(gone.workflowId, { tenantId: t2 })).toBe(true);

      const all = await store.listWorkflows({ allTenants: true });
      const mine = all.filter((w) => w.tenantId === t1 || w.tenantId === t2);
      expect(mine.map((w) => [w.tenantId, w.workflowId, w.version]).sort()).toEqual(
        [
          [t1, shared, a.version],
          [t2, shared, b.version],
        ].sort(),
      );
      // Without the flag the default scope still applies.
      expect((await store.listWorkflows()).some((w) => w.tenantId === t1)).toBe(false);
    });

    it('of concurrent saveWorkflow calls of the same new version exactly one reports created', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'));
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.saveWorkflow(plan, { tenantId })),
      );
      expect(count(results, (r) => r.created)).toBe(1);
      for (const r of results) expect(r.workflow.version).toBe(plan.version);
      expect(await store.listWorkflowVersions(plan.workflowId, { tenantId })).toHaveLength(1);
    });

    it('of concurrent deleteWorkflow calls exactly one returns true', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'));
      await store.saveWorkflow(plan, { tenantId });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.deleteWorkflow(plan.workflowId, { tenantId })),
      );
      expect(count(results, (r) => r)).toBe(1);
    });
  });
}
