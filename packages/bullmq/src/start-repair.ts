import type { ExecutionState, WorkflowPlan } from '@spane/core';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import { storedTraceContext } from './tracing.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** What {@link StartRepair} needs. */
export interface StartRepairContext {
  queues: Pick<NodeQueues, 'forNode'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  timeouts: Pick<WorkflowTimeouts, 'isArmed' | 'arm'>;
  events: Pick<EngineEvents, 'emit'>;
}

/**
 * Finishes the start of an execution that a call with the same idempotency key created
 * but may not have launched (its start failed half-way, or is still under way in another
 * call): the jobs of its `queued`, `running` and `delayed` nodes that are not in Redis
 * are added (job ids make a duplicate add a no-op), as the reconciler would, and its
 * workflow timeout is armed if it is not. An execution that is not `pending` or
 * `running` is left alone.
 */
export class StartRepair {
  readonly #ctx: StartRepairContext;

  constructor(ctx: StartRepairContext) {
    this.#ctx = ctx;
  }

  /**
   * Adds what is missing; `delay` (ms) is the start's delay, given to nodes that never
   * ran. Returns the nodes whose jobs were added.
   */
  async repair(plan: WorkflowPlan, execution: ExecutionState, delay: number): Promise<string[]> {
    if (execution.status !== 'pending' && execution.status !== 'running') return [];
    const { executionId, tenantId } = execution;
    const scheduled = Object.entries(execution.nodeResults).filter(
      ([, n]) => n.status === 'queued' || n.status === 'running' || n.status === 'delayed',
    );
    const states = await Promise.all(
      scheduled.map(([nodeId]) =>
        this.#ctx.queues.forNode(plan, nodeId).getJobState(nodeJobId(executionId, nodeId)),
      ),
    );
    const missing = scheduled.filter((_, i) => states[i] === 'unknown');
    await this.#armTimeout(plan, execution, delay);
    if (missing.length === 0) return [];
    const baseAttempts: Record<string, number> = {};
    for (const [nodeId, n] of missing) {
      // A running attempt that lost its job never finished: it runs again under its number.
      baseAttempts[nodeId] = n.status === 'running' ? Math.max(0, n.attempts - 1) : n.attempts;
    }
    const fresh = missing.every(([, n]) => n.status === 'queued' && n.attempts === 0);
    // Events are at least once: the failed call may or may not have announced it.
    if (missing.some(([nodeId, n]) => plan.entryNodes.includes(nodeId) && n.attempts <= 1)) {
      this.#ctx.events.emit('workflow:started', executionEvent(execution));
    }
    const nodeIds = missing.map(([nodeId]) => nodeId);
    await this.#ctx.enqueuer.enqueueNodes(plan, executionId, nodeIds, tenantId, {
      priority: execution.priority,
      delay: fresh ? delay : 0,
      baseAttempts,
      continueAttempts: true,
      traceContext: storedTraceContext(execution),
    });
    return nodeIds;
  }

  async #armTimeout(plan: WorkflowPlan, execution: ExecutionState, delay: number): Promise<void> {
    const timeoutMs = plan.definition.timeoutMs;
    if (timeoutMs === undefined) return;
    if (await this.#ctx.timeouts.isArmed(execution.executionId)) return;
    const due = Date.parse(execution.createdAt) + delay + timeoutMs;
    await this.#ctx.timeouts.arm(execution.executionId, Math.max(0, due - Date.now()));
  }
}
