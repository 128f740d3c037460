import { planNode } from '@spane/core';
import type { Job } from 'bullmq';
import type { EngineLogger } from './engine-options.js';
import type { NodeJobData } from './node-jobs.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { PlanSource } from './plan-source.js';

/** What {@link CrashGuard} needs. */
export interface CrashGuardContext {
  plans: Pick<PlanSource, 'getPlan'>;
  recorder: Pick<OutcomeRecorder, 'recordFailure'>;
  logger: EngineLogger;
  /** Crashes after which a node is failed instead of run; 0: no limit. */
  maxCrashes: number;
}

/**
 * Counts the runs of a node job that killed their worker (process exit, out of memory, a
 * kill): BullMQ's stalled check puts such a job back in the queue without a word, up to
 * `maxStalledCount` times, and counts it in the job's hash (`stc`, `job.stalledCounter`) as
 * it does. A run that begins on a job its workers lost `maxCrashes` times fails the node —
 * dead-lettered, its execution failed as any final failure does — instead of running it
 * again.
 *
 * The count costs nothing per run: BullMQ keeps it in the job, which a worker reads when it
 * takes the job. A run that ended in any way (completed, failed, parked, delayed, aborted)
 * never counts; a run that was alive but lost its lock (its process stalled past
 * `lockDurationMs`) counts as its worker lost it.
 */
export class CrashGuard {
  readonly #ctx: CrashGuardContext;

  constructor(ctx: CrashGuardContext) {
    this.#ctx = ctx;
  }

  /** Whether the job's node lost its worker `maxCrashes` times (then it must not run). */
  crashedOut(job: Job<NodeJobData>): boolean {
    const { maxCrashes } = this.#ctx;
    return maxCrashes > 0 && (job.stalledCounter ?? 0) >= maxCrashes;
  }

  /**
   * Records the failure of a job's node that {@link crashedOut}: its execution fails unless
   * the node may fail.
   * @throws the store's error when that failure could not be recorded (the job is tried
   * again, and finds the crashes again)
   */
  async fail(job: Job<NodeJobData>): Promise<void> {
    const data = job.data;
    const message = crashLoopMessage(data.nodeId, job.stalledCounter ?? 0);
    this.#ctx.logger.warn(message, { executionId: data.executionId, jobId: job.id });
    const plan = await this.#ctx.plans.getPlan(
      data.tenantId,
      data.workflowId,
      data.workflowVersion,
    );
    const base = {
      executionId: data.executionId,
      workflowId: data.workflowId,
      tenantId: data.tenantId,
      nodeId: data.nodeId,
      nodeType: planNode(plan, data.nodeId).type,
    };
    // The attempt the crashes happened in (a crash uses no attempt of BullMQ's).
    const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade + 1;
    await this.#ctx.recorder.recordFailure(
      plan,
      base,
      { attempt, maybeChild: true },
      { message, stack: undefined, inputData: undefined },
    );
  }
}

/** "node 'x' crashed its worker 3 times (process exit, out of memory or kill)". */
function crashLoopMessage(nodeId: string, crashes: number): string {
  return `node '${nodeId}' crashed its worker ${crashes} times (process exit, out of memory or kill): its run lost its worker each time`;
}
