import { compileWorkflow } from '@spane/core';
import { Worker } from 'bullmq';
import { describe, expect } from 'vitest';
import type { WorkflowEngineOptions } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import { NODE_QUEUE } from '../src/redis-keys.js';
import { exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

/** A logger that keeps its warnings. */
function warnings(): { logger: NonNullable<WorkflowEngineOptions['logger']>; seen: unknown[][] } {
  const seen: unknown[][] = [];
  return {
    seen,
    logger: { debug() {}, info() {}, warn: (...args) => seen.push(args), error() {} },
  };
}

const STEP = wf('w', [{ id: 'N', type: 'step', retry: { attempts: 3 } }]);

/**
 * Takes the node's waiting job as a worker would and fails it for good with `reason`
 * (BullMQ's failed set), without running it: a job an infrastructure error ran out of
 * attempts, or one BullMQ gave up on after too many stalls.
 */
async function plantFailedJob(h: Harness, executionId: string, reason: string): Promise<void> {
  const worker = new Worker(NODE_QUEUE, undefined, { connection: h.redis, prefix: h.prefix });
  try {
    const job = await until(() => worker.getNextJob('planter', { block: false }), 5_000, 'job');
    expect(job.id).toBe(nodeJobId(executionId, 'N'));
    job.discard();
    await job.moveToFailed(new Error(reason), 'planter');
    expect(await job.getState()).toBe('failed');
  } finally {
    await worker.close();
  }
}

/** The step executor: counts its runs and keeps the attempt numbers it ran under. */
function stepCounter(h: Harness): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  h.registry.register(
    'step',
    exec(async (ctx) => {
      runs.set(ctx.executionId, [...(runs.get(ctx.executionId) ?? []), ctx.attempt]);
      return { success: true, data: ctx.attempt };
    }),
  );
  return runs;
}

describe('reconcile: one item that cannot be repaired', () => {
  it("is logged and skipped; another tenant's lost job is re-enqueued in the same pass", async ({
    harness,
  }) => {
    const { logger, seen } = warnings();
    const h = await harness({ reconcileIntervalMs: 0, logger });
    const runs = stepCounter(h);
    await h.engine.registerWorkflow(STEP, { tenantId: 'a' });
    await h.engine.registerWorkflow(STEP, { tenantId: 'b' });
    const plan = compileWorkflow(STEP);
    // Both executions were created and their first jobs never added (the process died in
    // between); BullMQ refuses the first one's priority (its maximum is 2,097,151).
    const bad = await h.store.createExecution({ plan, tenantId: 'a', priority: 2_097_152 });
    const good = await h.store.createExecution({ plan, tenantId: 'b', priority: 5 });

    const result = await h.engine.reconcile();
    expect(result).toMatchObject({
      checked: 2,
      requeued: 1,
      skipped: 1,
      subWorkflowsChecked: 0,
      concurrencyWaitersWoken: 0,
    });
    expect(seen).toContainEqual([
      'reconcile skipped an execution it could not repair',
      expect.objectContaining({
        executionId: bad.execution.executionId,
        error: expect.stringMatching(/Priority should be between 0 and 2097151/),
      }),
    ]);
    await h.engine.startWorkers(2);
    const state = await h.engine.waitForExecution(
      good.execution.executionId,
      { timeoutMs: 10_000 },
      { tenantId: 'b' },
    );
    expect(state.status).toBe('completed');
    expect(runs.get(good.execution.executionId)).toEqual([1]);
    expect(runs.has(bad.execution.executionId)).toBe(false);
  });
});

describe('reconcile: nodes whose job sits in the failed set', () => {
  it('enqueues a fresh job after an infrastructure failure, continuing the attempt numbers', async ({
    harness,
  }) => {
    const h = await harness({ reconcileIntervalMs: 0, logger: warnings().logger });
    const runs = stepCounter(h);
    await h.engine.registerWorkflow(STEP);
    const plan = compileWorkflow(STEP);
    const running = await h.engine.enqueueWorkflow('w');
    const delayed = await h.engine.enqueueWorkflow('w');
    for (const id of [running, delayed]) {
      // The run began in the store; recording it failed until the job ran out of attempts.
      const begun = await h.store.beginNodeRun(plan, id, 'N', 1);
      expect(begun.started).toBe(true);
      if (id === delayed) {
        // …or its attempt 1 failed and was recorded, and the retry's job then failed.
        await h.store.setNodeStatus(id, 'N', 'delayed', { error: 'attempt 1 failed' });
      }
      await plantFailedJob(h, id, 'connect ECONNREFUSED 127.0.0.1:5432');
    }

    const result = await h.engine.reconcile();
    expect(result).toMatchObject({ requeued: 2, crashesRecorded: 0, skipped: 0 });
    await h.engine.startWorkers(2);
    for (const [id, attempt] of [
      [running, 2],
      [delayed, 2],
    ] as const) {
      const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
      expect(state.status).toBe('completed');
      expect(state.nodeResults.N).toMatchObject({ status: 'completed', attempts: attempt });
      // The running attempt never finished: its re-run is the next attempt (the engine
      // cannot know that the first run is gone); the delayed node's next attempt followed
      // the one that failed.
      expect(runs.get(id)).toEqual([attempt]);
    }
  });

  it('records a job BullMQ gave up on for stalling as the node failing by a crash', async ({
    harness,
  }) => {
    const h = await harness({ reconcileIntervalMs: 0, logger: warnings().logger });
    const runs = stepCounter(h);
    await h.engine.registerWorkflow(STEP);
    const plan = compileWorkflow(STEP);
    const id = await h.engine.enqueueWorkflow('w');
    await h.store.beginNodeRun(plan, id, 'N', 1);
    await plantFailedJob(h, id, 'job stalled more than allowable limit');

    const result = await h.engine.reconcile();
    expect(result).toMatchObject({ requeued: 0, crashesRecorded: 1, skipped: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.N).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.N?.error).toMatch(/^node 'N' crashed: .*job stalled more than/);
    const [item] = await h.engine.getDLQItems();
    expect(item).toMatchObject({ executionId: id, nodeId: 'N', attempts: 1 });
    expect(runs.has(id)).toBe(false);
    // Nothing is left to repair: a second pass changes nothing.
    expect(await h.engine.reconcile()).toMatchObject({
      checked: 0,
      requeued: 0,
      crashesRecorded: 0,
    });
  });
});
