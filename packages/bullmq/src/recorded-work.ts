import { type ExecutionStore, planNode, type WorkflowPlan } from '@spane/core';
import type { EngineEvents } from './engine-events.js';
import type { InfraRetry, RetryWhile } from './infra-retry.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import type { ExecutionFinisher } from './outcome-recorder.js';
import { storedTraceContext } from './tracing.js';

/** What {@link RecordedWork} needs. */
export interface RecordedWorkContext {
  store: Pick<ExecutionStore, 'getExecution'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  events: Pick<EngineEvents, 'emit'>;
  finisher: ExecutionFinisher;
  infra: Pick<InfraRetry, 'run'>;
}

/** The node whose recorded outcome is followed up. */
export interface RecordedNode {
  executionId: string;
  nodeId: string;
}

/**
 * Finishes what a run that recorded a node's outcome may have left undone — it died right
 * after its commit, or the commit's reply was lost: the node's events again (with the same
 * event ids, so listeners can drop repeats), the jobs of its children still without one,
 * and, when that outcome finished the execution, the execution's events and end (its
 * parent node, if it is a sub-workflow). Every step is safe to repeat.
 */
export class RecordedWork {
  readonly #ctx: RecordedWorkContext;

  constructor(ctx: RecordedWorkContext) {
    this.#ctx = ctx;
  }

  /** Follows up the node's recorded outcome (nothing when it has none). */
  async resume(plan: WorkflowPlan, ref: RecordedNode, until?: RetryWhile): Promise<void> {
    const { store, infra, events } = this.#ctx;
    const { executionId, nodeId } = ref;
    const execution = await infra.run(
      `read of execution ${executionId}`,
      () => store.getExecution(executionId),
      until,
    );
    const node = execution?.nodeResults[nodeId];
    if (!execution || !node || (node.status !== 'completed' && node.status !== 'failed')) return;
    const base = {
      executionId,
      workflowId: execution.workflowId,
      tenantId: execution.tenantId,
      nodeId,
      nodeType: planNode(plan, nodeId).type,
      timestamp: new Date().toISOString(),
    };
    const attempt = node.attempts;
    const error = node.error ?? 'failed';
    if (node.status === 'completed') {
      const durationMs = Math.max(0, spanMs(node.startedAt, node.finishedAt));
      events.emit('node:completed', { ...base, attempt, durationMs });
    } else {
      events.emit('node:failed', { ...base, attempt, error, final: true });
    }
    const { status } = execution;
    if (status === 'running' || status === 'pending') {
      // A child its completion started is `running` and may have no job either.
      const lost = (plan.children.get(nodeId) ?? []).filter((c) => {
        const s = execution.nodeResults[c]?.status;
        return s === 'queued' || s === 'running';
      });
      await infra.run(
        `enqueue of the children of node '${nodeId}'`,
        () =>
          this.#ctx.enqueuer.enqueueNodes(plan, executionId, lost, execution.tenantId, {
            priority: execution.priority,
            traceContext: storedTraceContext(execution),
          }),
        until,
      );
      return;
    }
    const maybeChild = execution.parentExecutionId !== undefined;
    const { timestamp, workflowId, tenantId } = base;
    const exec = { executionId, workflowId, tenantId, timestamp };
    if (status === 'completed' && node.status === 'completed') {
      events.emit('workflow:completed', exec);
      await this.#ctx.finisher.executionFinished(executionId, plan, 'completed', maybeChild);
    } else if (status === 'failed' && node.status === 'failed') {
      events.emit('workflow:failed', {
        ...exec,
        error,
        nodeId,
        eventId: failedEventId(ref, attempt),
      });
      await this.#ctx.finisher.executionFinished(executionId, plan, 'failed', maybeChild);
    }
  }
}

/** The id of the `workflow:failed` event a node's final failure sends. */
export function failedEventId(ref: RecordedNode, attempt: number): string {
  return `workflow:failed:${ref.executionId}:${ref.nodeId}:${attempt}`;
}

function spanMs(from: string | undefined, to: string | undefined): number {
  if (from === undefined || to === undefined) return 0;
  return Date.parse(to) - Date.parse(from);
}
