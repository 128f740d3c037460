import { type BeginNodeRunResult, isTerminalStatus, type WorkflowPlan } from '@spane/core';
import type { Job } from 'bullmq';
import type { NodeJobData } from './node-jobs.js';
import type { ParkedJobs } from './parked-jobs.js';
import type { RecordedWork } from './recorded-work.js';
import type { SubWorkflows } from './sub-workflow-node.js';

/** A begin the store refused. */
export type RefusedBegin = Extract<BeginNodeRunResult, { started: false }>;

/** What {@link UnstartedJobs} needs. */
export interface UnstartedJobsContext {
  parked: Pick<ParkedJobs, 'park'>;
  /** Tells a waiting parent node that its child execution finished. */
  subWorkflows: Pick<SubWorkflows, 'onFinished'>;
  /** Follows up an outcome a crashed run recorded. */
  recorded: Pick<RecordedWork, 'resume'>;
}

/**
 * Jobs whose node may not run now (the store refused to begin it): parked while the
 * execution is paused, used to finish what a crashed run left undone, or dropped.
 */
export class UnstartedJobs {
  readonly #ctx: UnstartedJobsContext;

  constructor(ctx: UnstartedJobsContext) {
    this.#ctx = ctx;
  }

  /** Parks the job (paused), repairs (a crash after a completion) or drops it. */
  async handle(
    job: Job<NodeJobData>,
    token: string | undefined,
    plan: WorkflowPlan,
    begun: RefusedBegin,
  ): Promise<void> {
    const { executionId, nodeId } = job.data;
    if (begun.reason === 'execution-not-active' && begun.executionStatus === 'paused') {
      await this.#ctx.parked.park(job, token);
    }
    if (
      begun.reason === 'execution-not-active' &&
      begun.executionStatus !== undefined &&
      isTerminalStatus(begun.executionStatus)
    ) {
      // Maybe the run that finished this execution died before announcing it and telling
      // its parent node (when it is a sub-workflow): this re-run of its job does it.
      if (begun.executionStatus === 'cancelled') {
        await this.#ctx.subWorkflows.onFinished(executionId);
      } else {
        await this.#ctx.recorded.resume(plan, { executionId, nodeId });
      }
      return;
    }
    if (
      begun.reason === 'node-not-runnable' &&
      (begun.nodeStatus === 'completed' || begun.nodeStatus === 'failed')
    ) {
      // A previous run recorded the node's outcome but may have died before its events
      // and its children's jobs.
      await this.#ctx.recorded.resume(plan, { executionId, nodeId });
    }
  }
}
