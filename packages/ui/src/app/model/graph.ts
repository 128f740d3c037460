import type { NodeDefinition, WorkflowDefinition } from '../api/types.js';

/** An edge of a workflow, parent → child. */
export interface GraphEdge {
  from: string;
  to: string;
}

/**
 * Every edge of a definition, once, in definition order: a node may list an edge on either
 * side (`inputs` of the child, `outputs` of the parent), or on both. Edges to ids that are
 * not nodes are left out (the engine refuses such definitions anyway).
 */
export function workflowEdges(definition: Pick<WorkflowDefinition, 'nodes'>): GraphEdge[] {
  const ids = new Set(definition.nodes.map((n) => n.id));
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  const add = (from: string, to: string) => {
    const key = `${from}\u0000${to}`;
    if (seen.has(key) || !ids.has(from) || !ids.has(to)) return;
    seen.add(key);
    edges.push({ from, to });
  };
  for (const node of definition.nodes) {
    for (const parent of node.inputs ?? []) add(parent, node.id);
    for (const child of node.outputs ?? []) add(node.id, child);
  }
  return edges;
}

/** The parents of each node, in edge order. */
export function parentsOf(edges: readonly GraphEdge[]): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const { from, to } of edges) {
    const list = parents.get(to);
    if (list) list.push(from);
    else parents.set(to, [from]);
  }
  return parents;
}

/** The label drawn in a node's box: its name when it has one, else its id. */
export function nodeLabel(node: Pick<NodeDefinition, 'id' | 'name'>): string {
  return node.name && node.name.trim() !== '' ? node.name : node.id;
}
