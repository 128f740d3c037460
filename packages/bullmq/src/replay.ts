import type { ExecutionState, NodeOutcome, WorkflowPlan } from '@spane/core';

/**
 * The nodes a replay from `fromNodeId` re-runs: `fromNodeId` and every node reachable
 * from it (its descendants).
 */
export function replayedNodes(plan: WorkflowPlan, fromNodeId: string): Set<string> {
  const seen = new Set([fromNodeId]);
  const queue = [fromNodeId];
  for (let i = 0; i < queue.length; i++) {
    for (const child of plan.children.get(queue[i]!) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return seen;
}

/**
 * What a replay from `fromNodeId` takes over from the original: the recorded outcome of
 * every node that is neither `fromNodeId` nor one of its descendants and that produced a
 * result in the original (completed, or failed with `continueOnFail`). Nodes without such
 * a result run again like any other.
 */
export function reusableOutcomes(
  plan: WorkflowPlan,
  original: ExecutionState,
  fromNodeId: string,
): Map<string, NodeOutcome> {
  const rerun = replayedNodes(plan, fromNodeId);
  const reuse = new Map<string, NodeOutcome>();
  for (const nodeId of plan.order) {
    if (rerun.has(nodeId)) continue;
    const n = original.nodeResults[nodeId];
    if (n?.status === 'completed') {
      reuse.set(nodeId, { type: 'completed', data: n.data, nextNodes: n.nextNodes });
    } else if (n?.status === 'failed' && n.continuedOnFail) {
      reuse.set(nodeId, { type: 'failed', error: n.error ?? 'failed', data: n.data });
    }
  }
  return reuse;
}
