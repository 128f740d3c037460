import type { WorkflowPlan } from '@spane/core';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';

/** What {@link JobRemoval} needs. */
export interface JobRemovalContext {
  queues: Pick<NodeQueues, 'forNode'>;
  /** How long to wait for running jobs to leave. */
  graceMs: number;
}

/** Removes the jobs of an execution's nodes, waiting (bounded) for running ones to leave. */
export class JobRemoval {
  readonly #ctx: JobRemovalContext;

  constructor(ctx: JobRemovalContext) {
    this.#ctx = ctx;
  }

  /**
   * Removes the jobs of the given nodes, waiting (at most `graceMs`) for running ones to
   * leave. Returns the ids of jobs still there at the deadline.
   */
  async removeNodeJobs(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
  ): Promise<string[]> {
    const deadline = Date.now() + this.#ctx.graceMs;
    let pending = [...nodeIds];
    while (pending.length > 0) {
      const left: string[] = [];
      for (const nodeId of pending) {
        const id = nodeJobId(executionId, nodeId);
        const queue = this.#ctx.queues.forNode(plan, nodeId);
        const removed = await queue.remove(id).catch(() => 0);
        if (removed === 1) continue;
        const jobState = await queue.getJobState(id);
        if (jobState !== 'unknown') left.push(nodeId);
      }
      pending = left;
      if (pending.length === 0 || Date.now() > deadline) break;
      // Running jobs were told to abort and leave at once; give them a moment.
      await new Promise((r) => setTimeout(r, 20));
    }
    return pending.map((nodeId) => nodeJobId(executionId, nodeId));
  }
}
