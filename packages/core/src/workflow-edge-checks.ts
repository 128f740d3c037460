import type { IssueList } from './validation-issue-list.js';
import { findCycles, reachableFrom, type WorkflowGraph } from './workflow-graph.js';
import type { CheckedNode, CheckedNodes } from './workflow-id-checks.js';

/** Reports entries of `inputs` and `outputs` that name the node itself, no node, or a node twice. */
export function checkReferences(
  rawNodes: readonly unknown[],
  { nodes, indexById }: CheckedNodes,
  issues: IssueList,
): void {
  for (const node of nodes) {
    for (const key of ['inputs', 'outputs'] as const) {
      // The raw list, so that `j` is the index in the definition (non-strings are SCHEMA issues).
      const list = (rawNodes[node.index] as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      const seen = new Set<string>();
      list.forEach((ref: unknown, j) => {
        if (typeof ref !== 'string') return;
        const path = `/nodes/${node.index}/${key}/${j}`;
        if (ref === node.id) {
          issues.error(path, 'CYCLE', `node '${node.id}' lists itself in its ${key}`);
        } else if (!indexById.has(ref)) {
          issues.error(path, 'UNKNOWN_NODE_REFERENCE', `unknown node '${ref}'`);
        } else if (seen.has(ref)) {
          issues.error(path, 'DUPLICATE_REFERENCE', `'${ref}' is listed twice`);
        }
        seen.add(ref);
      });
    }
  }
}

/** `inputs` and `outputs` may each be omitted, but when both sides declare a list they must agree. */
export function checkInputsOutputsAgree(nodes: readonly CheckedNode[], issues: IssueList): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const node of nodes) {
    for (const child of node.outputs ?? []) {
      const c = byId.get(child);
      if (c?.inputs && c.id !== node.id && !c.inputs.includes(node.id)) {
        issues.error(
          `/nodes/${c.index}/inputs`,
          'INPUTS_OUTPUTS_DISAGREE',
          `'${node.id}' lists '${c.id}' in its outputs, but '${c.id}' does not list '${node.id}' in its inputs`,
        );
      }
    }
    for (const parent of node.inputs ?? []) {
      const p = byId.get(parent);
      if (p?.outputs && p.id !== node.id && !p.outputs.includes(node.id)) {
        issues.error(
          `/nodes/${p.index}/outputs`,
          'INPUTS_OUTPUTS_DISAGREE',
          `'${node.id}' lists '${p.id}' in its inputs, but '${p.id}' does not list '${node.id}' in its outputs`,
        );
      }
    }
  }
}

/** Reports each cycle of more than one node (a node listing itself is reported as a reference). */
export function checkCycles(graph: WorkflowGraph, issues: IssueList): void {
  for (const cycle of findCycles(graph)) {
    if (cycle.length > 2) issues.error('/nodes', 'CYCLE', `cycle: ${cycle.join(' -> ')}`);
  }
}

/**
 * Reports an `entryNodeId` that names no node or a node with inputs; given a valid one,
 * warns of each node not reachable from it.
 */
export function checkEntryNode(
  entry: unknown,
  graph: WorkflowGraph,
  { nodes, indexById }: CheckedNodes,
  issues: IssueList,
): void {
  if (entry === undefined) return;
  if (typeof entry !== 'string' || !indexById.has(entry)) {
    issues.error(
      '/entryNodeId',
      'ENTRY_NODE_NOT_FOUND',
      typeof entry === 'string'
        ? `entryNodeId '${entry}' is not a node of this workflow`
        : 'entryNodeId must be the id of a node of this workflow',
    );
  } else if ((graph.parents.get(entry) ?? []).length > 0) {
    issues.error(
      '/entryNodeId',
      'ENTRY_NODE_HAS_INPUTS',
      `entry node '${entry}' must have no inputs`,
    );
  } else {
    const reachable = reachableFrom(graph, [entry]);
    for (const node of nodes) {
      if (!reachable.has(node.id)) {
        issues.warning(
          `/nodes/${node.index}`,
          'UNREACHABLE_NODE',
          `node '${node.id}' is not reachable from entry node '${entry}' and will be skipped`,
        );
      }
    }
  }
}
