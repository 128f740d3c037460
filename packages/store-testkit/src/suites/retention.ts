import type { ExecutionStore, WorkflowPlan } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { begin, isoFromNow, ms, mustGet, runNode, uid, untilClock } from '../helpers.js';
import type { SuiteContext } from '../types.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

type Ending = 'completed' | 'failed' | 'cancelled';

/** Creates an execution of a one-node plan and finishes it; returns its id and completedAt. */
async function finished(
  store: ExecutionStore,
  plan: WorkflowPlan,
  ending: Ending,
): Promise<{ id: string; completedAt: number }> {
  const id = (await store.createExecution({ plan })).execution.executionId;
  if (ending === 'cancelled') await store.setExecutionStatus(id, 'cancelled');
  else
    await runNode(
      store,
      plan,
      id,
      'A',
      ending === 'completed' ? { type: 'completed' } : { type: 'failed', error: 'x' },
    );
  const state = await mustGet(store, id);
  expect(state.status).toBe(ending);
  return { id, completedAt: ms(state.completedAt) };
}

/** Creates pending, running and paused executions, which purging must never touch. */
async function unfinished(store: ExecutionStore, plan: WorkflowPlan): Promise<string[]> {
  const pending = (await store.createExecution({ plan })).execution.executionId;
  const running = (await store.createExecution({ plan })).execution.executionId;
  await begin(store, plan, running, 'A');
  const paused = (await store.createExecution({ plan })).execution.executionId;
  await store.setExecutionStatus(paused, 'running');
  await store.setExecutionStatus(paused, 'paused');
  return [pending, running, paused];
}

async function addTrace(store: ExecutionStore, executionId: string): Promise<void> {
  const timestamp = new Date().toISOString();
  await store.appendLogs([{ executionId, level: 'info', message: 'trace', timestamp }]);
  await store.recordSpan({
    spanId: uid('span'),
    executionId,
    nodeId: 'A',
    attempt: 1,
    startedAt: timestamp,
    status: 'ok',
  });
}

async function expectGone(store: ExecutionStore, executionId: string): Promise<void> {
  expect(await store.getExecution(executionId), `execution ${executionId}`).toBeNull();
  expect(await store.getLogs(executionId)).toEqual([]);
  expect(await store.getSpans(executionId)).toEqual([]);
}

async function expectKept(store: ExecutionStore, executionId: string): Promise<void> {
  expect(await store.getExecution(executionId), `execution ${executionId}`).not.toBeNull();
  expect(await store.getLogs(executionId)).toHaveLength(1);
  expect(await store.getSpans(executionId)).toHaveLength(1);
}

/** Purges every finished execution already in the store, so counts below are exact. */
async function drain(store: ExecutionStore): Promise<void> {
  const finishedBefore = isoFromNow(YEAR_MS);
  for (let i = 0; i < 1000; i++) {
    if ((await store.purgeExecutions({ finishedBefore })) === 0) return;
  }
}

/** purgeExecutions. Note: purges every finished execution of the store it runs on. */
export function retentionSuite(ctx: SuiteContext): void {
  describe('retention', () => {
    it('purges only executions that finished before finishedBefore, with their logs and spans', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 1);
      await store.saveWorkflow(plan);
      await drain(store);

      const early = [
        await finished(store, plan, 'completed'),
        await finished(store, plan, 'failed'),
        await finished(store, plan, 'cancelled'),
      ];
      const keep = await unfinished(store, plan);
      // The cutoff lies after every early execution; keep finishing executions until one
      // finished at or after it (the store's clock decides, so no assumption about it).
      const cutoff = Math.max(...early.map((e) => e.completedAt)) + 1;
      untilClock(cutoff);
      const late: { id: string; completedAt: number }[] = [];
      const endings: Ending[] = ['cancelled', 'completed', 'failed'];
      do {
        late.push(await finished(store, plan, endings[late.length % 3]!));
      } while (late.at(-1)!.completedAt < cutoff && late.length < 10_000);
      expect(late.at(-1)!.completedAt).toBeGreaterThanOrEqual(cutoff);
      const all = [...early, ...late];
      for (const e of all) await addTrace(store, e.id);
      for (const id of keep) await addTrace(store, id);

      const first = Math.min(...all.map((e) => e.completedAt));
      expect(
        await store.purgeExecutions({ finishedBefore: new Date(first).toISOString() }),
        'nothing finished before the first completedAt',
      ).toBe(0);
      for (const e of all) await expectKept(store, e.id);

      const old = all.filter((e) => e.completedAt < cutoff);
      const recent = all.filter((e) => e.completedAt >= cutoff);
      expect(await store.purgeExecutions({ finishedBefore: new Date(cutoff).toISOString() })).toBe(
        old.length,
      );
      for (const e of old) await expectGone(store, e.id);
      for (const e of recent) await expectKept(store, e.id);
      for (const id of keep) await expectKept(store, id);

      expect(await store.purgeExecutions({ finishedBefore: isoFromNow(YEAR_MS) })).toBe(
        recent.length,
      );
      for (const e of recent) await expectGone(store, e.id);
      for (const id of keep) await expectKept(store, id);
    });

    it('never purges pending, running or paused executions', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 1);
      await store.saveWorkflow(plan);
      await drain(store);
      const keep = await unfinished(store, plan);
      for (const id of keep) await addTrace(store, id);
      const done = await finished(store, plan, 'completed');

      expect(await store.purgeExecutions({ finishedBefore: isoFromNow(YEAR_MS) })).toBe(1);
      await expectGone(store, done.id);
      for (const id of keep) await expectKept(store, id);
      const statuses = await Promise.all(keep.map(async (id) => (await mustGet(store, id)).status));
      expect(statuses).toEqual(['pending', 'running', 'paused']);
    });

    it('respects limit, oldest first', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 1);
      await store.saveWorkflow(plan);
      await drain(store);
      const done: { id: string; completedAt: number }[] = [];
      for (const ending of [
        'completed',
        'failed',
        'cancelled',
        'completed',
        'cancelled',
      ] as const) {
        done.push(await finished(store, plan, ending));
      }
      const finishedBefore = isoFromNow(YEAR_MS);

      expect(await store.purgeExecutions({ finishedBefore, limit: 2 })).toBe(2);
      const exists = async () =>
        Promise.all(done.map(async (e) => (await store.getExecution(e.id)) !== null));
      const afterFirst = await exists();
      const purged = done.filter((_, i) => !afterFirst[i]);
      const left = done.filter((_, i) => afterFirst[i]);
      expect(purged).toHaveLength(2);
      expect(
        Math.max(...purged.map((e) => e.completedAt)),
        'the oldest executions go first',
      ).toBeLessThanOrEqual(Math.min(...left.map((e) => e.completedAt)));

      expect(await store.purgeExecutions({ finishedBefore, limit: 2 })).toBe(2);
      expect(await store.purgeExecutions({ finishedBefore, limit: 2 })).toBe(1);
      expect(await store.purgeExecutions({ finishedBefore, limit: 2 })).toBe(0);
      expect((await exists()).every((e) => !e)).toBe(true);
    });
  });
}
