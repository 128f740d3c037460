import type { ActiveNode, ExecutionStore, WorkflowPlan } from '@spane/core';
import type { Queue } from 'bullmq';
import { timeoutJobId } from './control-jobs.js';
import type { EngineLogger } from './engine-options.js';
import { nodeJobId } from './node-jobs.js';

export interface ReconcilerDeps {
  store: ExecutionStore;
  /** The queue a node's job is in. */
  queueFor(plan: WorkflowPlan, nodeId: string): Queue;
  controlQueue: Queue;
  logger: EngineLogger;
  getPlan(tenantId: string, workflowId: string, version: string): Promise<WorkflowPlan>;
  enqueueNodes(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: string[],
    tenantId: string,
    opts: { priority?: number; baseAttempts: Record<string, number>; continueAttempts: true },
  ): Promise<void>;
  armTimeout(executionId: string, delayMs: number): Promise<void>;
}

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

const PAGE = 500;

/**
 * Puts back into Redis the work the store says must exist: every `queued`, `running` or
 * `delayed` node of a pending or running execution whose job is gone (Redis lost it: a
 * flush, a failover without persistence, an eviction), and lost workflow-timeout timers.
 * Jobs that exist are left alone; adding a job whose id exists is a no-op, so concurrent
 * passes in several processes are safe.
 */
export async function reconcile(deps: ReconcilerDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { checked: 0, requeued: 0, timeoutsRearmed: 0 };
  const timersChecked = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await deps.store.listActiveNodes(
      cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor },
    );
    cursor = page.nextCursor;
    result.checked += page.items.length;
    const states = await Promise.all(
      page.items.map(async (n) => {
        const plan = await deps.getPlan(n.tenantId, n.workflowId, n.workflowVersion);
        return deps.queueFor(plan, n.nodeId).getJobState(nodeJobId(n.executionId, n.nodeId));
      }),
    );
    const missing = new Map<string, ActiveNode[]>();
    page.items.forEach((n, i) => {
      if (states[i] !== 'unknown') return;
      const list = missing.get(n.executionId) ?? [];
      list.push(n);
      missing.set(n.executionId, list);
    });
    for (const [executionId, listed] of missing) {
      // Look again: the node may have finished (and its job been removed) or been queued
      // and not yet added while the page was read. Only a node whose status and attempts
      // are unchanged and whose job is still absent was lost.
      const fresh = await deps.store.getExecution(executionId);
      const unchanged = listed.filter((n) => {
        const now = fresh?.nodeResults[n.nodeId];
        return now !== undefined && now.status === n.status && now.attempts === n.attempts;
      });
      const stillMissing = await Promise.all(
        unchanged.map(async (n) => {
          const plan = await deps.getPlan(n.tenantId, n.workflowId, n.workflowVersion);
          const state = await deps
            .queueFor(plan, n.nodeId)
            .getJobState(nodeJobId(n.executionId, n.nodeId));
          return state === 'unknown';
        }),
      );
      const nodes = unchanged.filter((_, i) => stillMissing[i]);
      if (nodes.length === 0) continue;
      const first = nodes[0]!;
      const plan = await deps.getPlan(first.tenantId, first.workflowId, first.workflowVersion);
      const baseAttempts: Record<string, number> = {};
      for (const n of nodes) {
        // A running attempt that lost its job never finished: it runs again under the same
        // number. A delayed node's failed attempt is over: the next one follows it.
        baseAttempts[n.nodeId] = n.status === 'running' ? Math.max(0, n.attempts - 1) : n.attempts;
      }
      await deps.enqueueNodes(
        plan,
        first.executionId,
        nodes.map((n) => n.nodeId),
        first.tenantId,
        first.priority === undefined
          ? { baseAttempts, continueAttempts: true }
          : { priority: first.priority, baseAttempts, continueAttempts: true },
      );
      result.requeued += nodes.length;
      deps.logger.warn('re-enqueued nodes whose jobs were lost', {
        executionId: first.executionId,
        nodes: nodes.map((n) => n.nodeId),
      });
    }
    for (const n of page.items) {
      if (timersChecked.has(n.executionId)) continue;
      timersChecked.add(n.executionId);
      const plan = await deps.getPlan(n.tenantId, n.workflowId, n.workflowVersion);
      const timeoutMs = plan.definition.timeoutMs;
      if (timeoutMs === undefined) continue;
      if ((await deps.controlQueue.getJobState(timeoutJobId(n.executionId))) !== 'unknown')
        continue;
      await deps.armTimeout(
        n.executionId,
        Math.max(0, Date.parse(n.createdAt) + timeoutMs - Date.now()),
      );
      result.timeoutsRearmed += 1;
    }
  } while (cursor !== undefined);
  return result;
}
