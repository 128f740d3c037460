import type { WorkflowPlan } from '@spane/core';
import {
  type CompleteNodeOptions,
  type CompleteNodeResult,
  edgeFired,
  type NodeOutcome,
  type NodeSnapshot,
  type NodeTelemetry,
  planNode,
} from '@spane/core/store';
import { type BatchedCompletionContext, completeFiringAll } from './node-completion-batched.js';
import { type CompletionWithReadContext, completeWithRead } from './node-completion-with-read.js';

/** What {@link completeNode} uses (its two paths' contexts). */
export interface NodeCompletionContext
  extends BatchedCompletionContext,
    CompletionWithReadContext {}

/**
 * `ExecutionStore.completeNode`. When the outcome fires the edge to every child (a
 * completion without `nextNodes` or selecting all children, or a `continueOnFail` failure)
 * no child can be skipped, and the transition needs only the children's `open_parents`
 * counters: one round trip that locks the execution row, records the node, decrements its
 * children's counters (a child reaching 0 is queued — exactly once, under the lock), counts
 * down `remaining` and commits. The lock is held for that one batch only, not across a trip
 * to this process.
 *
 * Otherwise two round trips: (1) lock the execution row and read the rows the
 * transition needs — the node, its children and their parents; (2) write the changed
 * node rows (and the counters of the settled nodes' children), the execution row and
 * commit. A skip cascade that reaches nodes not yet read costs one more round trip per
 * level (the pure transition is then re-run).
 */
export async function completeNode(
  ctx: NodeCompletionContext,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  outcome: NodeOutcome,
  telemetry?: NodeTelemetry,
  options?: CompleteNodeOptions,
): Promise<CompleteNodeResult> {
  const definition = planNode(plan, nodeId);
  const hardFailure = outcome.type === 'failed' && !definition.continueOnFail;
  const children = plan.children.get(nodeId) ?? [];
  // The node as the readiness rules will see it, when the outcome settles it for them.
  const settled: NodeSnapshot | undefined =
    outcome.type === 'skipped' || hardFailure
      ? undefined
      : {
          status: outcome.type,
          nextNodes: outcome.type === 'completed' ? outcome.nextNodes : undefined,
          continuedOnFail: outcome.type === 'failed',
        };
  if (settled && children.every((child) => edgeFired(settled, child))) {
    return completeFiringAll(
      ctx,
      executionId,
      nodeId,
      outcome as Exclude<NodeOutcome, { type: 'skipped' }>,
      children,
      telemetry,
      options ?? {},
    );
  }
  return completeWithRead(ctx, plan, executionId, nodeId, outcome, telemetry, {
    ...options,
    hardFailure,
  });
}
