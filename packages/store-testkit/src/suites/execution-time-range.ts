import {
  type ExecutionFilter,
  type ExecutionStore,
  type ExecutionSummary,
  InvalidArgumentError,
  type WorkflowPlan,
} from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { listAll, ms, rejectionOf, uid, untilClock } from '../helpers.js';
import type { SuiteContext } from '../types.js';

/**
 * Creates one execution of each plan in turn, in `tenantId`, each after the store's clock
 * has passed the previous one's `createdAt` (so that they get different timestamps in a
 * store whose clock is the local one; assertions never depend on it). Returns the tenant's
 * executions as the store lists them, newest first.
 */
async function createSpaced(
  store: ExecutionStore,
  tenantId: string,
  plans: readonly WorkflowPlan[],
): Promise<ExecutionSummary[]> {
  for (const plan of new Set(plans)) await store.saveWorkflow(plan, { tenantId });
  let previous: string | undefined;
  for (const plan of plans) {
    if (previous !== undefined) untilClock(Math.min(ms(previous) + 1, Date.now() + 100));
    previous = (await store.createExecution({ plan, tenantId })).execution.createdAt;
  }
  const listed = await listAll(store, { tenantId });
  expect(listed).toHaveLength(plans.length);
  return listed;
}

/** The executions of `all` (newest first) that `filter`'s range and fields keep, as the contract says. */
function expected(all: readonly ExecutionSummary[], filter: ExecutionFilter): string[] {
  const after = filter.createdAfter === undefined ? -Infinity : Date.parse(filter.createdAfter);
  const before = filter.createdBefore === undefined ? Infinity : Date.parse(filter.createdBefore);
  const statuses = filter.status === undefined ? undefined : [filter.status].flat();
  return all
    .filter(
      (e) =>
        ms(e.createdAt) >= after &&
        ms(e.createdAt) < before &&
        (filter.workflowId === undefined || e.workflowId === filter.workflowId) &&
        (statuses === undefined || statuses.includes(e.status)),
    )
    .map((e) => e.executionId);
}

/** Ids of one page of `listExecutions`, in the order listed. */
async function listedIds(store: ExecutionStore, filter: ExecutionFilter): Promise<string[]> {
  return (await store.listExecutions(filter)).items.map((e) => e.executionId);
}

/** The same instant as `iso` (UTC) written with a `+02:00` offset. */
function atPlusTwo(iso: string): string {
  const shifted = new Date(ms(iso) + 2 * 3_600_000).toISOString();
  return `${shifted.slice(0, -1)}+02:00`;
}

/** listExecutions with `createdAfter` / `createdBefore`. */
export function executionTimeRangeSuite(ctx: SuiteContext): void {
  describe('listExecutions by creation time', () => {
    it('keeps createdAt >= createdAfter (inclusive) and < createdBefore (exclusive), newest first', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 1);
      const all = await createSpaced(store, tenantId, Array(5).fill(plan));
      const [e0, e1, e2, e3] = [...all].reverse() as [ExecutionSummary, ...ExecutionSummary[]];
      const [at1, at2, at3] = [e1!.createdAt, e2!.createdAt, e3!.createdAt];

      const from1 = await listedIds(store, { tenantId, createdAfter: at1 });
      expect(from1).toEqual(expected(all, { createdAfter: at1 }));
      expect(from1, 'the bound itself is inside').toContain(e1!.executionId);
      expect(from1).not.toContain(e0.executionId);
      const until3 = await listedIds(store, { tenantId, createdBefore: at3 });
      expect(until3).toEqual(expected(all, { createdBefore: at3 }));
      expect(until3, 'the bound itself is outside').not.toContain(e3!.executionId);
      expect(until3).toContain(e0.executionId);

      const between = { createdAfter: at1, createdBefore: at3 };
      const range = await listedIds(store, { tenantId, ...between });
      expect(range).toEqual(expected(all, between));
      expect(range).toContain(e1!.executionId);
      expect(range).not.toContain(e3!.executionId);

      const empty = [
        { createdAfter: at2, createdBefore: at2 },
        { createdAfter: at3, createdBefore: at1 },
        { createdBefore: '2000-01-01' },
      ];
      for (const filter of empty) {
        expect(await listedIds(store, { tenantId, ...filter }), JSON.stringify(filter)).toEqual([]);
      }
      expect(
        await listedIds(store, { tenantId, createdAfter: atPlusTwo(at2) }),
        'an offset names the same instant',
      ).toEqual(expected(all, { createdAfter: at2 }));
      expect(await listedIds(store, { tenantId, createdAfter: '2000-01-01' })).toEqual(
        all.map((e) => e.executionId),
      );
    });

    it('combines the range with workflowId and status', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const wf1 = chainPlan(uid('wf'), 1);
      const wf2 = chainPlan(uid('wf'), 1);
      const created = await createSpaced(store, tenantId, [wf1, wf2, wf1, wf2, wf1, wf2, wf1]);
      const byTime = [...created].reverse();
      for (const e of [byTime[2]!, byTime[3]!, byTime[6]!]) {
        await store.setExecutionStatus(e.executionId, 'running');
      }
      const all = await listAll(store, { tenantId });
      const range = { createdAfter: byTime[1]!.createdAt, createdBefore: byTime[6]!.createdAt };
      const filters: ExecutionFilter[] = [
        { ...range, workflowId: wf1.workflowId },
        { ...range, status: 'running' },
        { ...range, status: ['pending'] },
        { ...range, workflowId: wf1.workflowId, status: 'running' },
        { ...range, workflowId: wf2.workflowId, status: ['running', 'pending'] },
      ];
      for (const filter of filters) {
        const ids = await listedIds(store, { tenantId, ...filter });
        expect(ids, JSON.stringify(filter)).toEqual(expected(all, filter));
      }
      const running1 = await listedIds(store, { tenantId, ...filters[3]! });
      expect(running1, 'the running wf1 execution inside the range').toContain(
        byTime[2]!.executionId,
      );
      expect(running1, 'the running wf1 execution at createdBefore').not.toContain(
        byTime[6]!.executionId,
      );
    });

    it('pages through a range with limit and cursor: every item once, newest first', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 1);
      const other = chainPlan(uid('wf'), 1);
      const plans = [plan, other, plan, plan, other, plan, plan, plan, other, plan];
      const all = await createSpaced(store, tenantId, plans);
      const byTime = [...all].reverse();
      for (const filter of [
        { createdAfter: byTime[2]!.createdAt, createdBefore: byTime[8]!.createdAt },
        {
          createdAfter: byTime[1]!.createdAt,
          createdBefore: byTime[9]!.createdAt,
          workflowId: plan.workflowId,
        },
        { createdBefore: byTime[6]!.createdAt },
        { createdAfter: byTime[3]!.createdAt },
      ] satisfies ExecutionFilter[]) {
        const want = expected(all, filter);
        expect(want.length, 'the range keeps several pages').toBeGreaterThan(2);
        const seen: string[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listExecutions({
            tenantId,
            ...filter,
            limit: 2,
            ...(cursor === undefined ? {} : { cursor }),
          });
          sizes.push(page.items.length);
          seen.push(...page.items.map((e) => e.executionId));
          cursor = page.nextCursor;
        } while (cursor !== undefined && sizes.length < 20);
        expect(seen, JSON.stringify(filter)).toEqual(want);
        // Full pages, then the rest; a store may end with an empty page when the count is even.
        const full = Math.floor(want.length / 2);
        const rest = want.length % 2;
        const pages = [...Array(full).fill(2), ...(rest === 0 ? [] : [rest])];
        expect([pages, [...pages, 0]], JSON.stringify(filter)).toContainEqual(sizes);
      }
    });

    it('refuses a createdAfter or createdBefore that is not an ISO 8601 timestamp with InvalidArgumentError', async () => {
      const store = ctx.store();
      const bad: unknown[] = [
        'yesterday',
        '',
        '2024-13-01T00:00:00Z',
        '2023-02-29',
        '2024-05-01T12:00:00',
        '1714564800000',
        42,
      ];
      for (const value of bad) {
        for (const field of ['createdAfter', 'createdBefore'] as const) {
          const filter = { [field]: value } as ExecutionFilter;
          const error = await rejectionOf(store.listExecutions(filter));
          expect(error, `${field}: ${String(value)}`).toBeInstanceOf(InvalidArgumentError);
          expect((error as Error).message).toContain(field);
        }
      }
      const error = await rejectionOf(
        store.listExecutions({ createdAfter: '2024-01-01', createdBefore: 'soon', limit: 5 }),
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
    });
  });
}
