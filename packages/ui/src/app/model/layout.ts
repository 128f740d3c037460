import dagre from '@dagrejs/dagre';
import type { GraphEdge } from './graph.js';

/** A node box placed by {@link layoutDag}: `x`/`y` is its top-left corner. */
export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge drawn as a polyline through `points`. */
export interface PlacedEdge extends GraphEdge {
  points: { x: number; y: number }[];
}

/** A laid-out DAG: every node and edge, and the size of the drawing. */
export interface DagLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Options of {@link layoutDag}. */
export interface LayoutOptions {
  /** `LR` (default, parents left of children) or `TB` (parents above children). */
  direction?: 'LR' | 'TB';
  nodeWidth?: number;
  nodeHeight?: number;
}

const MARGIN = 16;

/**
 * Places a DAG in layers (Sugiyama-style, by dagre): each node after all its parents in
 * `direction`, crossings reduced, edges routed between the boxes. Deterministic for the
 * same input. Nodes keep the order given (dagre's tie-breaking follows insertion order).
 */
export function layoutDag(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
  options: LayoutOptions = {},
): DagLayout {
  const width = options.nodeWidth ?? 180;
  const height = options.nodeHeight ?? 56;
  if (nodeIds.length === 0) return { nodes: [], edges: [], width: 0, height: 0 };
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({
    rankdir: options.direction ?? 'LR',
    nodesep: 24,
    ranksep: 56,
    marginx: MARGIN,
    marginy: MARGIN,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of nodeIds) g.setNode(id, { width, height });
  for (const e of edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const graph = g.graph();
  const nodes = nodeIds.map((id) => {
    const n = g.node(id);
    return { id, x: (n.x ?? 0) - width / 2, y: (n.y ?? 0) - height / 2, width, height };
  });
  const placedEdges = edges.map((e) => {
    const label = g.edge(e.from, e.to);
    return {
      ...e,
      points: (label?.points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
    };
  });
  return {
    nodes,
    edges: placedEdges,
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
  };
}

/** The SVG path (`M … L …`) of an edge's points. */
export function edgePath(points: readonly { x: number; y: number }[]): string {
  return points
    .map(
      (p, i) => `${i === 0 ? 'M' : 'L'}${Math.round(p.x * 10) / 10},${Math.round(p.y * 10) / 10}`,
    )
    .join(' ');
}
