import { CycleDetectedError } from './errors.js';

/** Node shape the graph functions read (a subset of `NodeDefinition`). */
export interface GraphNode {
  id: string;
  inputs?: readonly string[] | undefined;
  outputs?: readonly string[] | undefined;
}

/** Edges of a workflow: the union of every node's `inputs` and `outputs`, de-duplicated. */
export interface WorkflowGraph {
  /** Parent ids of each node. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
  /** Child ids of each node. */
  readonly children: ReadonlyMap<string, readonly string[]>;
}

/**
 * Builds parent and child lists from `inputs` and `outputs`. References to unknown ids
 * are dropped (validation reports them). Lists keep definition order.
 */
export function buildGraph(nodes: readonly GraphNode[]): WorkflowGraph {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const node of nodes) {
    if (!parents.has(node.id)) {
      parents.set(node.id, []);
      children.set(node.id, []);
    }
  }
  const seen = new Set<string>();
  const addEdge = (from: string, to: string): void => {
    if (!parents.has(from) || !parents.has(to)) return;
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    children.get(from)!.push(to);
    parents.get(to)!.push(from);
  };
  for (const node of nodes) {
    for (const parent of node.inputs ?? []) addEdge(parent, node.id);
    for (const child of node.outputs ?? []) addEdge(node.id, child);
  }
  return { parents, children };
}

/**
 * Finds cycles with an iterative depth-first search (safe for 10,000 nodes). Each cycle is
 * returned as its path with the first id repeated at the end; at most `limit` cycles.
 */
export function findCycles(graph: WorkflowGraph, limit = 10): string[][] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>();
  const cycles: string[][] = [];
  for (const start of graph.children.keys()) {
    if ((color.get(start) ?? WHITE) !== WHITE) continue;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    const onPath: string[] = [start];
    color.set(start, GREY);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const kids = graph.children.get(frame.id) ?? [];
      if (frame.next < kids.length) {
        const child = kids[frame.next++]!;
        const c = color.get(child) ?? WHITE;
        if (c === WHITE) {
          color.set(child, GREY);
          stack.push({ id: child, next: 0 });
          onPath.push(child);
        } else if (c === GREY) {
          const from = onPath.lastIndexOf(child);
          cycles.push([...onPath.slice(from), child]);
          if (cycles.length >= limit) return cycles;
        }
      } else {
        color.set(frame.id, BLACK);
        stack.pop();
        onPath.pop();
      }
    }
  }
  return cycles;
}

/**
 * Topological order (Kahn), ties broken by definition order.
 * @throws CycleDetectedError when the graph has a cycle.
 */
export function topologicalOrder(graph: WorkflowGraph): string[] {
  const indegree = new Map<string, number>();
  for (const [id, ps] of graph.parents) indegree.set(id, ps.length);
  const queue: string[] = [];
  for (const [id, d] of indegree) if (d === 0) queue.push(id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    order.push(id);
    for (const child of graph.children.get(id) ?? []) {
      const d = indegree.get(child)! - 1;
      indegree.set(child, d);
      if (d === 0) queue.push(child);
    }
  }
  if (order.length !== indegree.size) {
    const cycle = findCycles(graph, 1)[0] ?? [];
    throw new CycleDetectedError(cycle);
  }
  return order;
}

/** Every node reachable from `starts` (included), following child edges. */
export function reachableFrom(graph: WorkflowGraph, starts: readonly string[]): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  for (let i = 0; i < queue.length; i++) {
    for (const child of graph.children.get(queue[i]!) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return seen;
}
