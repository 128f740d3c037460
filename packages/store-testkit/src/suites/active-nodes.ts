import { type ActiveNode, compileWorkflow } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan, diamondPlan } from '../fixtures.js';
import { begin, runNode, saveAndCreate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

const key = (n: Pick<ActiveNode, 'executionId' | 'nodeId'>) => `${n.executionId}/${n.nodeId}`;

/** listActiveNodes: what a reconciler re-enqueues when the queue lost its jobs. */
export function activeNodesSuite(ctx: SuiteContext): void {
  describe('active-nodes', () => {
    it('lists queued, running and delayed nodes of pending and running executions only', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const diamond = diamondPlan(uid('wf'));
      const chain = chainPlan(uid('wf'));

      // pending execution: A queued
      const fresh = await saveAndCreate(store, chain, { tenantId, priority: 3 });
      // running execution: A completed, B running, C delayed, D pending
      const running = await saveAndCreate(store, diamond, { tenantId });
      const rid = running.execution.executionId;
      await runNode(store, diamond, rid, 'A', { type: 'completed', data: 1 });
      await begin(store, diamond, rid, 'B');
      await begin(store, diamond, rid, 'C');
      expect(await store.setNodeStatus(rid, 'C', 'delayed')).toBe(true);
      // paused, cancelled and completed executions have no active nodes to list
      const paused = await saveAndCreate(store, chain);
      await store.setExecutionStatus(paused.execution.executionId, 'paused');
      const cancelled = await saveAndCreate(store, chain);
      await store.setExecutionStatus(cancelled.execution.executionId, 'cancelled');
      const single = chainPlan(uid('wf'), 1);
      const done = await saveAndCreate(store, single);
      await runNode(store, single, done.execution.executionId, 'A');
      expect((await store.getExecution(done.execution.executionId))?.status).toBe('completed');

      const page = await store.listActiveNodes();
      expect(page.nextCursor).toBeUndefined();
      const byKey = new Map(page.items.map((n) => [key(n), n]));
      expect([...byKey.keys()].sort()).toEqual(
        [`${fresh.execution.executionId}/A`, `${rid}/B`, `${rid}/C`].sort(),
      );
      expect(byKey.get(`${fresh.execution.executionId}/A`)).toMatchObject({
        tenantId,
        workflowId: chain.workflowId,
        workflowVersion: chain.version,
        status: 'queued',
        attempts: 0,
        priority: 3,
      });
      expect(byKey.get(`${rid}/B`)).toMatchObject({ status: 'running', attempts: 1 });
      expect(byKey.get(`${rid}/C`)).toMatchObject({ status: 'delayed', attempts: 1 });
      expect(typeof byKey.get(`${rid}/B`)?.createdAt).toBe('string');
    });

    it('pages cover every active node exactly once', async () => {
      const store = ctx.store();
      const plan = diamondPlan(uid('wf'));
      const expected: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { execution } = await saveAndCreate(store, plan);
        await runNode(store, plan, execution.executionId, 'A');
        expected.push(`${execution.executionId}/B`, `${execution.executionId}/C`);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listActiveNodes({
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map(key));
        cursor = page.nextCursor;
        pages += 1;
        expect(pages).toBeLessThan(20);
      } while (cursor !== undefined);
      expect(seen.sort()).toEqual(expected.sort());
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('pages of one node cover nodes whose ids are not in definition order', async () => {
      const store = ctx.store();
      const wf = uid('wf');
      const plan = compileWorkflow({
        id: wf,
        name: wf,
        nodes: ['Z', 'M', 'A', 'q'].map((id) => ({ id, type: 'testkit.noop' })),
      });
      const { execution } = await saveAndCreate(store, plan);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store.listActiveNodes({
          limit: 1,
          ...(cursor === undefined ? {} : { cursor }),
        });
        seen.push(...result.items.map((n) => n.nodeId));
        cursor = result.nextCursor;
        if (cursor === undefined) break;
      }
      expect(cursor).toBeUndefined();
      expect(seen.sort()).toEqual(['A', 'M', 'Z', 'q']);
      expect(execution.executionId).toBeTruthy();
    });
  });
}
