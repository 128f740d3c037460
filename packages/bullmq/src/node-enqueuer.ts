import { startedRunToken, type TraceContext, type WorkflowPlan } from '@spane/core';
import type { JobsOptions } from 'bullmq';
import type { FairShare } from './fair-share.js';
import { type NodeJobData, nodeJobId, nodeJobName } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { RetryPolicies } from './retry-policies.js';

/** How node jobs are added. */
export interface EnqueueNodeOptions {
  /** The execution's priority (BullMQ's: 1 is the highest). */
  priority?: number | undefined;
  /** Run no sooner than this many ms from now. */
  delay?: number;
  /** Attempts a node already made (its next attempt is numbered after them). */
  baseAttempts?: Record<string, number>;
  /** Give the job only the attempts its policy has left after `baseAttempts` (recovery), not a fresh set (DLQ retry). */
  continueAttempts?: boolean;
  /**
   * Nodes a store write started under `runToken` (`start` of `createExecution` or
   * `completeNode`): their jobs carry the token the node is held by.
   */
  started?:
    | {
        runToken: string;
        nodes: readonly string[];
        /** Started nodes whose jobs carry some of the others after their own (see Riders). */
        riders?: ReadonlyMap<string, readonly string[]> | undefined;
      }
    | undefined;
  /** The trace context the jobs carry to their nodes (see NodeJobData.traceContext). */
  traceContext?: TraceContext | undefined;
}

/** One node job to add, and the name of the queue it goes to. */
export interface NodeJob {
  /** The queue it goes to. */
  queue: string;
  /** The job's name (its node's type). */
  name: string;
  data: NodeJobData;
  opts: JobsOptions;
}

/** What {@link NodeEnqueuer} needs. */
export interface NodeEnqueuerContext {
  queues: Pick<NodeQueues, 'get' | 'nameForType'>;
  retry: Pick<RetryPolicies, 'maxAttempts'>;
  /** Sets the jobs' BullMQ priorities for fair scheduling between tenants (absent: off). */
  fair?: Pick<FairShare, 'order' | 'prime'>;
  /**
   * Called before jobs are added: sends the node events this process holds back (see
   * EngineChannel), so that a process taking the jobs cannot announce what follows them
   * (their nodes' events, the execution's end) before them.
   */
  beforeAdd?: () => void;
}

/**
 * Builds and adds the jobs that run nodes: one job per (execution, node), in the queue of
 * the node's type, with the attempts of its retry policy.
 */
export class NodeEnqueuer {
  readonly #ctx: NodeEnqueuerContext;

  constructor(ctx: NodeEnqueuerContext) {
    this.#ctx = ctx;
  }

  /** Adds the jobs of the given nodes of an execution. */
  enqueueNodes(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
    tenantId: string,
    opts: EnqueueNodeOptions,
  ): Promise<void> {
    return this.addJobs(this.nodeJobs(plan, executionId, nodeIds, tenantId, opts));
  }

  /**
   * Asks fair scheduling ahead for the tags of the jobs these nodes are about to get (see
   * FairShare.prime) — none for an execution with a priority of its own.
   */
  prime(plan: WorkflowPlan, nodeIds: readonly string[], tenantId: string, priority?: number): void {
    const { fair } = this.#ctx;
    if (!fair || (priority !== undefined && priority > 0)) return;
    const counts = new Map<string, number>();
    for (const nodeId of nodeIds) {
      const queue = this.#queueOf(plan, nodeId);
      counts.set(queue, (counts.get(queue) ?? 0) + 1);
    }
    for (const [queue, n] of counts) fair.prime(queue, tenantId, n);
  }

  /**
   * Adds node jobs with one round trip per queue they go to (`addBulk`), after the one of
   * fair scheduling's script when some of them have no priority (see FairShare).
   */
  async addJobs(jobs: readonly NodeJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.#ctx.beforeAdd?.();
    const byQueue = new Map<string, NodeJob[]>();
    for (const job of jobs) {
      const list = byQueue.get(job.queue);
      if (list) list.push(job);
      else byQueue.set(job.queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(async ([name, given]) => {
        const list = this.#ctx.fair ? await this.#ctx.fair.order(name, given) : given;
        const queue = this.#ctx.queues.get(name);
        if (list.length === 1) return queue.add(list[0]!.name, list[0]!.data, list[0]!.opts);
        return queue.addBulk(list.map(({ name: n, data, opts }) => ({ name: n, data, opts })));
      }),
    );
  }

  /** The jobs that run the given nodes of an execution. */
  nodeJobs(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
    tenantId: string,
    opts: EnqueueNodeOptions,
  ): NodeJob[] {
    return nodeIds.map((nodeId) => {
      const data: NodeJobData = {
        executionId,
        workflowId: plan.workflowId,
        workflowVersion: plan.version,
        nodeId,
        tenantId,
      };
      const base = opts.baseAttempts?.[nodeId] ?? 0;
      if (base > 0) data.attemptsBefore = base;
      if (opts.traceContext !== undefined) data.traceContext = opts.traceContext;
      const { started } = opts;
      if (started?.nodes.includes(nodeId)) {
        data.startToken = startedRunToken(started.runToken, nodeId);
        const riders = started.riders?.get(nodeId);
        if (riders !== undefined && riders.length > 0) {
          data.riders = [...riders];
          data.riderToken = started.runToken;
        }
      }
      const maxAttempts = this.#ctx.retry.maxAttempts(plan, nodeId);
      const jobOpts: JobsOptions = {
        jobId: nodeJobId(executionId, nodeId),
        attempts: opts.continueAttempts ? Math.max(1, maxAttempts - base) : maxAttempts,
        backoff: { type: 'spane' },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      };
      if (opts.priority !== undefined) jobOpts.priority = opts.priority;
      if (opts.delay) jobOpts.delay = opts.delay;
      return {
        queue: this.#queueOf(plan, nodeId),
        name: nodeJobName(plan, nodeId),
        data,
        opts: jobOpts,
      };
    });
  }

  /** The queue a node's jobs go to (its type's). */
  #queueOf(plan: WorkflowPlan, nodeId: string): string {
    return this.#ctx.queues.nameForType(plan.nodes.get(nodeId)?.type ?? '');
  }
}
