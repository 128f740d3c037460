import {
  type NodeRegistry,
  planNode,
  type RetryPolicy,
  resolveRetryPolicy,
  retryDelayMs,
  type WorkflowPlan,
} from '@spane/core';
import type { Job } from 'bullmq';
import { executorRegistration } from './built-in-nodes.js';
import type { NodeJobData } from './node-jobs.js';
import type { PlanSource } from './plan-source.js';

/** What {@link RetryPolicies} needs. */
export interface RetryPoliciesContext {
  /** Node types and their registered options. */
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>;
  /** The engine's `defaultRetry`. */
  defaultRetry: RetryPolicy | undefined;
  /** Plans already compiled in this process. */
  plans: Pick<PlanSource, 'cachedPlan'>;
}

/**
 * The retry policy of each node: its own, else its workflow's defaults, else its type's,
 * else the engine's `defaultRetry`.
 */
export class RetryPolicies {
  readonly #ctx: RetryPoliciesContext;

  constructor(ctx: RetryPoliciesContext) {
    this.#ctx = ctx;
  }

  /** Total attempts of a node. */
  maxAttempts(plan: WorkflowPlan, nodeId: string): number {
    return this.#policy(plan, nodeId).attempts;
  }

  /** The delay before attempt `attempt` (2 or later) of a node. */
  delayMs(plan: WorkflowPlan, nodeId: string, attempt: number): number {
    return retryDelayMs(this.#policy(plan, nodeId), attempt);
  }

  /**
   * BullMQ backoff strategy: the delay before the next attempt of this job — counting the
   * node's attempts made before the job (`attemptsBefore`: a carried run's, or those before
   * a lost job was added again).
   */
  backoff(attemptsMade: number, job: Job | undefined): number {
    const data = job?.data as NodeJobData | undefined;
    const plan =
      data && this.#ctx.plans.cachedPlan(data.tenantId, data.workflowId, data.workflowVersion);
    if (!data || !plan) return 1000;
    return this.delayMs(plan, data.nodeId, (data.attemptsBefore ?? 0) + attemptsMade + 1);
  }

  #policy(plan: WorkflowPlan, nodeId: string) {
    const node = planNode(plan, nodeId);
    const { registry } = this.#ctx;
    const typeOptions = executorRegistration(registry, node.type)?.options ?? {};
    return resolveRetryPolicy(
      node.retry,
      plan.definition.defaults?.retry,
      typeOptions.retry,
      this.#ctx.defaultRetry,
    );
  }
}
