import { type ActiveNode, planNode, type WorkflowPlan } from '@spane/core';
import type { EngineLogger } from './engine-options.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { NodeRef } from './sub-workflow-node.js';

/** What {@link FailedNodeJobs} needs. */
export interface FailedNodeJobsContext {
  queues: Pick<NodeQueues, 'forNode'>;
  recorder: Pick<OutcomeRecorder, 'recordFailure'>;
  logger: EngineLogger;
}

/** What {@link FailedNodeJobs.repair} did with one execution's nodes. */
export interface FailedJobsRepair {
  /** Nodes whose failed job was removed: enqueue a fresh job for each. */
  requeue: ActiveNode[];
  /** Nodes whose failure (a crash) was recorded. */
  crashes: number;
}

/** BullMQ's `failedReason` of a job that lost its worker more than `maxStalledCount` times. */
const STALLED = /stalled/i;

/**
 * Repairs nodes the store says are not finished (queued, running, delayed) whose job sits
 * in BullMQ's failed set, where no worker will ever take it and whose id blocks adding the
 * node's job again. A job that failed because it stalled too often (its runs kept killing
 * or hanging their worker) is the node's failure, recorded as a crash. Any other failure
 * is not the executor's (a processor that ends with the failure of its attempt records it
 * in the store first): an infrastructure error — the store or Redis — ran the job out of
 * attempts, so the failed job is removed and the node is handed back to be enqueued again,
 * continuing its attempt numbers.
 */
export class FailedNodeJobs {
  readonly #ctx: FailedNodeJobsContext;

  constructor(ctx: FailedNodeJobsContext) {
    this.#ctx = ctx;
  }

  /** Repairs the listed nodes of one execution (all found with a failed job). */
  async repair(plan: WorkflowPlan, nodes: readonly ActiveNode[]): Promise<FailedJobsRepair> {
    const requeue: ActiveNode[] = [];
    let crashes = 0;
    for (const n of nodes) {
      const queue = this.#ctx.queues.forNode(plan, n.nodeId);
      const jobId = nodeJobId(n.executionId, n.nodeId);
      const job = await queue.getJob(jobId);
      if (!job) {
        // Gone meanwhile (removed, or kept only up to removeOnFail's count): a lost job.
        requeue.push(n);
        continue;
      }
      const reason = job.failedReason ?? 'unknown failure';
      if (STALLED.test(reason)) {
        await this.#recordCrash(plan, n, reason);
        crashes += 1;
        continue;
      }
      // Removal refuses a job a worker holds (0): another pass re-added it and it runs.
      if ((await queue.remove(jobId)) !== 1) continue;
      this.#ctx.logger.warn('removed a node job that failed on an infrastructure error', {
        executionId: n.executionId,
        nodeId: n.nodeId,
        error: reason,
      });
      requeue.push(n);
    }
    return { requeue, crashes };
  }

  /** Records the node's failure for a job BullMQ gave up on after too many stalls. */
  async #recordCrash(plan: WorkflowPlan, n: ActiveNode, reason: string): Promise<void> {
    const base: NodeRef = {
      executionId: n.executionId,
      workflowId: n.workflowId,
      tenantId: n.tenantId,
      nodeId: n.nodeId,
      nodeType: planNode(plan, n.nodeId).type,
    };
    const message = `node '${n.nodeId}' crashed: its run lost its worker more often than maxStalledCount allows (${reason})`;
    this.#ctx.logger.warn('recording a crash for a node job BullMQ gave up on', {
      executionId: n.executionId,
      nodeId: n.nodeId,
      error: reason,
    });
    await this.#ctx.recorder.recordFailure(
      plan,
      base,
      { attempt: Math.max(1, n.attempts), maybeChild: true },
      { message, stack: undefined, inputData: undefined },
    );
  }
}
