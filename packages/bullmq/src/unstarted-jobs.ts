import {
  type BeginNodeRunResult,
  type ExecutionStore,
  isTerminalStatus,
  type WorkflowPlan,
} from '@spane/core';
import type { Job } from 'bullmq';
import type { NodeEnqueuer } from './node-enqueuer.js';
import type { NodeJobData } from './node-jobs.js';
import type { ParkedJobs } from './parked-jobs.js';
import type { SubWorkflows } from './sub-workflow-node.js';

/** A begin the store refused. */
export type RefusedBegin = Extract<BeginNodeRunResult, { started: false }>;

/** What {@link UnstartedJobs} needs. */
export interface UnstartedJobsContext {
  store: Pick<ExecutionStore, 'getExecution'>;
  parked: Pick<ParkedJobs, 'park'>;
  /** Tells a waiting parent node that its child execution finished. */
  subWorkflows: Pick<SubWorkflows, 'onFinished'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
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
      // Maybe the run that finished this execution died before telling its parent node
      // (when it is a sub-workflow): this re-run of its job does it.
      await this.#ctx.subWorkflows.onFinished(executionId);
      return;
    }
    if (
      begun.reason === 'node-not-runnable' &&
      (begun.nodeStatus === 'completed' || begun.nodeStatus === 'failed')
    ) {
      await this.#enqueueLostChildren(plan, executionId, nodeId);
    }
  }

  /**
   * A previous run recorded the node's result but may have died before enqueueing the
   * children: enqueue those still queued (a job that exists is not added twice).
   */
  async #enqueueLostChildren(plan: WorkflowPlan, executionId: string, nodeId: string) {
    const execution = await this.#ctx.store.getExecution(executionId);
    if (!execution || (execution.status !== 'running' && execution.status !== 'pending')) return;
    // A child its completion started is `running` and may have no job either.
    const queued = (plan.children.get(nodeId) ?? []).filter((c) => {
      const status = execution.nodeResults[c]?.status;
      return status === 'queued' || status === 'running';
    });
    await this.#ctx.enqueuer.enqueueNodes(plan, executionId, queued, execution.tenantId, {
      priority: execution.priority,
    });
  }
}
