import type { ExecutionState, NodeState } from '../api/types.js';

function edgeFired(parent: NodeState, childId: string): boolean {
  return parent.nextNodes === undefined || parent.nextNodes.includes(childId);
}

/**
 * The input a node received (or will receive), as the engine builds it: an entry node gets
 * the execution's initial data; a node with one parent gets that parent's output; a join
 * gets `{ parentId: output }` of the parents whose edge fired. A failed parent that
 * continued passes its output or `{ error }`. Undefined while no parent has settled.
 */
export function nodeInput(
  state: Pick<ExecutionState, 'nodeResults' | 'initialData'>,
  parents: readonly string[],
  childId: string,
): unknown {
  if (parents.length === 0) return state.initialData;
  const merged: Record<string, unknown> = {};
  let single: unknown;
  let any = false;
  for (const parentId of parents) {
    const p = state.nodeResults[parentId];
    if (!p || (p.status !== 'completed' && p.status !== 'failed')) continue;
    if (!edgeFired(p, childId)) continue;
    const data = p.status === 'failed' ? (p.data ?? { error: p.error }) : p.data;
    merged[parentId] = data;
    single = data;
    any = true;
  }
  if (!any) return undefined;
  return parents.length === 1 ? single : merged;
}
