import type { ActiveNode, ExecutionStore } from '@spane/core';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { EngineLogger } from './engine-options.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { PlanSource } from './plan-source.js';
import type { SubWorkflows } from './sub-workflow-node.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** What one reconciliation pass did. */
export interface ReconcileResult {
  /** Active nodes found in the store. */
  checked: number;
  /** Nodes whose job was missing from Redis and was added again. */
  requeued: number;
  /** Workflow timeouts whose timer job was missing and was armed again. */
  timeoutsRearmed: number;
  /** Sub-workflows of waiting nodes checked for an end their parent missed. */
  subWorkflowsChecked?: number;
  /** Jobs waiting for a workflow `maxConcurrency` slot that were handed one freed by expiry. */
  concurrencyWaitersWoken?: number;
}

/** What {@link Reconciler} needs. */
export interface ReconcilerContext {
  store: Pick<ExecutionStore, 'listActiveNodes' | 'getExecution'>;
  queues: Pick<NodeQueues, 'forNode'>;
  plans: Pick<PlanSource, 'getPlan'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  timeouts: Pick<WorkflowTimeouts, 'isArmed' | 'arm'>;
  subWorkflows: Pick<SubWorkflows, 'sweep'>;
  gate: Pick<ConcurrencyGate, 'drain'>;
  logger: EngineLogger;
  /** How often the periodic pass runs; 0: never. */
  intervalMs: number;
}

const PAGE = 500;

/**
 * Puts back into Redis the work the store says must exist: every `queued`, `running` or
 * `delayed` node of a pending or running execution whose job is gone (Redis lost it: a
 * flush, a failover without persistence, an eviction), and lost workflow-timeout timers;
 * then tells waiting parents of sub-workflows that ended and hands expired concurrency
 * slots on. Jobs that exist are left alone; adding a job whose id exists is a no-op, so
 * concurrent passes in several processes are safe.
 */
export class Reconciler {
  readonly #ctx: ReconcilerContext;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(ctx: ReconcilerContext) {
    this.#ctx = ctx;
  }

  /** One pass. */
  async run(): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, requeued: 0, timeoutsRearmed: 0 };
    const timersChecked = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.#ctx.store.listActiveNodes(
        cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor },
      );
      cursor = page.nextCursor;
      result.checked += page.items.length;
      result.requeued += await this.#requeueLost(page.items);
      result.timeoutsRearmed += await this.#rearmTimeouts(page.items, timersChecked);
    } while (cursor !== undefined);
    result.subWorkflowsChecked = await this.#ctx.subWorkflows.sweep();
    result.concurrencyWaitersWoken = await this.#ctx.gate.drain();
    return result;
  }

  /** Runs a pass every `intervalMs` (one at a time) until stopped. */
  start(): void {
    const every = this.#ctx.intervalMs;
    if (every <= 0) return;
    let running = false;
    this.#timer = setInterval(() => {
      if (running || this.#stopped) return;
      running = true;
      this.run()
        .catch((err: Error) => this.#ctx.logger.warn('reconcile failed', { error: err.message }))
        .finally(() => {
          running = false;
        });
    }, every);
    this.#timer.unref();
  }

  /** Stops the periodic pass. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /** The job state of an active node's job. */
  async #jobState(n: ActiveNode): Promise<string> {
    const plan = await this.#ctx.plans.getPlan(n.tenantId, n.workflowId, n.workflowVersion);
    return this.#ctx.queues.forNode(plan, n.nodeId).getJobState(nodeJobId(n.executionId, n.nodeId));
  }

  /** Re-adds the jobs of the listed nodes that Redis lost; returns how many. */
  async #requeueLost(items: readonly ActiveNode[]): Promise<number> {
    const states = await Promise.all(items.map((n) => this.#jobState(n)));
    const missing = new Map<string, ActiveNode[]>();
    items.forEach((n, i) => {
      if (states[i] !== 'unknown') return;
      const list = missing.get(n.executionId) ?? [];
      list.push(n);
      missing.set(n.executionId, list);
    });
    let requeued = 0;
    for (const [executionId, listed] of missing) {
      // Look again: the node may have finished (and its job been removed) or been queued
      // and not yet added while the page was read. Only a node whose status and attempts
      // are unchanged and whose job is still absent was lost.
      const fresh = await this.#ctx.store.getExecution(executionId);
      const unchanged = listed.filter((n) => {
        const now = fresh?.nodeResults[n.nodeId];
        return now !== undefined && now.status === n.status && now.attempts === n.attempts;
      });
      const stillMissing = await Promise.all(
        unchanged.map(async (n) => (await this.#jobState(n)) === 'unknown'),
      );
      const nodes = unchanged.filter((_, i) => stillMissing[i]);
      if (nodes.length === 0) continue;
      await this.#requeue(nodes);
      requeued += nodes.length;
    }
    return requeued;
  }

  /** Re-adds the jobs of lost nodes of one execution, continuing their attempts. */
  async #requeue(nodes: readonly ActiveNode[]): Promise<void> {
    const first = nodes[0]!;
    const plan = await this.#ctx.plans.getPlan(
      first.tenantId,
      first.workflowId,
      first.workflowVersion,
    );
    const baseAttempts: Record<string, number> = {};
    for (const n of nodes) {
      // A running attempt that lost its job never finished: it runs again under the same
      // number. A delayed node's failed attempt is over: the next one follows it.
      baseAttempts[n.nodeId] = n.status === 'running' ? Math.max(0, n.attempts - 1) : n.attempts;
    }
    await this.#ctx.enqueuer.enqueueNodes(
      plan,
      first.executionId,
      nodes.map((n) => n.nodeId),
      first.tenantId,
      first.priority === undefined
        ? { baseAttempts, continueAttempts: true }
        : { priority: first.priority, baseAttempts, continueAttempts: true },
    );
    this.#ctx.logger.warn('re-enqueued nodes whose jobs were lost', {
      executionId: first.executionId,
      nodes: nodes.map((n) => n.nodeId),
    });
  }

  /** Arms again the lost workflow-timeout timers of the listed nodes' executions. */
  async #rearmTimeouts(items: readonly ActiveNode[], checked: Set<string>): Promise<number> {
    let rearmed = 0;
    for (const n of items) {
      if (checked.has(n.executionId)) continue;
      checked.add(n.executionId);
      const plan = await this.#ctx.plans.getPlan(n.tenantId, n.workflowId, n.workflowVersion);
      const timeoutMs = plan.definition.timeoutMs;
      if (timeoutMs === undefined) continue;
      if (await this.#ctx.timeouts.isArmed(n.executionId)) continue;
      await this.#ctx.timeouts.arm(
        n.executionId,
        Math.max(0, Date.parse(n.createdAt) + timeoutMs - Date.now()),
      );
      rearmed += 1;
    }
    return rearmed;
  }
}
