import type { ExecutionState, WorkflowDefinition } from './api-types.js';

/** The ids of a definition's leaf nodes (nodes without children), in definition order. */
export function leafNodeIds(definition: WorkflowDefinition): string[] {
  const parents = new Set<string>();
  for (const node of definition.nodes) {
    for (const parent of node.inputs ?? []) parents.add(parent);
    if ((node.outputs ?? []).length > 0) parents.add(node.id);
  }
  return definition.nodes.map((n) => n.id).filter((id) => !parents.has(id));
}

/**
 * The output of an execution, as a sub-workflow node sees its child's: the data of its
 * single leaf node, or `{ [leafId]: data }` of the leaves that produced a result when it
 * has several (skipped leaves are left out; a leaf that failed with `continueOnFail` gives
 * its data, or `{ error }`).
 */
export function executionOutput(definition: WorkflowDefinition, state: ExecutionState): unknown {
  const resultOf = (id: string): { has: boolean; data?: unknown } => {
    const node = state.nodeResults[id];
    if (node?.status === 'completed') return { has: true, data: node.data };
    if (node?.status === 'failed' && node.continuedOnFail) {
      return { has: true, data: node.data ?? { error: node.error } };
    }
    return { has: false };
  };
  const leaves = leafNodeIds(definition);
  if (leaves.length === 1) return resultOf(leaves[0]!).data;
  const out: Record<string, unknown> = {};
  for (const id of leaves) {
    const result = resultOf(id);
    if (result.has) out[id] = result.data;
  }
  return out;
}
