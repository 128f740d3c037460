import { describe, expect, it } from 'vitest';
import type { GraphEdge } from '../src/app/model/graph.js';
import { type DagLayout, edgePath, layoutDag, type PlacedNode } from '../src/app/model/layout.js';

type Point = { x: number; y: number };

/** Distance from a point to a box (0 inside or on it). */
function distanceToBox(p: Point, box: PlacedNode): number {
  const dx = Math.max(box.x - p.x, 0, p.x - (box.x + box.width));
  const dy = Math.max(box.y - p.y, 0, p.y - (box.y + box.height));
  return Math.hypot(dx, dy);
}

function overlap(a: PlacedNode, b: PlacedNode): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function byId(layout: DagLayout): Map<string, PlacedNode> {
  return new Map(layout.nodes.map((n) => [n.id, n]));
}

/** What every layout must satisfy, whatever the graph. */
function expectSound(layout: DagLayout, ids: readonly string[], edges: readonly GraphEdge[]) {
  expect(layout.nodes.map((n) => n.id)).toEqual(ids);
  for (const n of layout.nodes) {
    expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    expect(n.x).toBeGreaterThanOrEqual(0);
    expect(n.y).toBeGreaterThanOrEqual(0);
    expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
    expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
  }
  for (let i = 0; i < layout.nodes.length; i++) {
    for (let j = i + 1; j < layout.nodes.length; j++) {
      const [a, b] = [layout.nodes[i]!, layout.nodes[j]!];
      expect(overlap(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
    }
  }
  const nodes = byId(layout);
  expect(layout.edges.map(({ from, to }) => ({ from, to }))).toEqual(edges);
  for (const e of layout.edges) {
    expect(e.points.length, `${e.from}→${e.to}`).toBeGreaterThanOrEqual(2);
    expect(distanceToBox(e.points[0]!, nodes.get(e.from)!)).toBeLessThan(1);
    expect(distanceToBox(e.points.at(-1)!, nodes.get(e.to)!)).toBeLessThan(1);
  }
}

const DIAMOND_IDS = ['a', 'b', 'c', 'd'];
const DIAMOND: GraphEdge[] = [
  { from: 'a', to: 'b' },
  { from: 'a', to: 'c' },
  { from: 'b', to: 'd' },
  { from: 'c', to: 'd' },
];

describe('layoutDag', () => {
  it('lays out nothing for an empty graph', () => {
    expect(layoutDag([], [])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });

  it('places a lone node inside the drawing', () => {
    const layout = layoutDag(['only'], []);
    expectSound(layout, ['only'], []);
    expect(layout.nodes[0]).toMatchObject({ width: 180, height: 56 });
  });

  it('places a diamond (branch and join) left to right', () => {
    const layout = layoutDag(DIAMOND_IDS, DIAMOND);
    expectSound(layout, DIAMOND_IDS, DIAMOND);
    const n = byId(layout);
    for (const { from, to } of DIAMOND) {
      expect(n.get(to)!.x).toBeGreaterThanOrEqual(n.get(from)!.x + n.get(from)!.width);
    }
    // The two branches share a layer, one above the other.
    expect(n.get('b')!.x).toBe(n.get('c')!.x);
    expect(n.get('b')!.y).not.toBe(n.get('c')!.y);
  });

  it('places parents above children with direction TB', () => {
    const layout = layoutDag(DIAMOND_IDS, DIAMOND, { direction: 'TB' });
    expectSound(layout, DIAMOND_IDS, DIAMOND);
    const n = byId(layout);
    for (const { from, to } of DIAMOND) {
      expect(n.get(to)!.y).toBeGreaterThanOrEqual(n.get(from)!.y + n.get(from)!.height);
    }
    expect(n.get('b')!.y).toBe(n.get('c')!.y);
    expect(n.get('b')!.x).not.toBe(n.get('c')!.x);
  });

  it('uses the given box size', () => {
    const layout = layoutDag(['a', 'b'], [{ from: 'a', to: 'b' }], {
      nodeWidth: 90,
      nodeHeight: 30,
    });
    expectSound(layout, ['a', 'b'], [{ from: 'a', to: 'b' }]);
    for (const n of layout.nodes) expect(n).toMatchObject({ width: 90, height: 30 });
  });

  it('lays out a wider graph soundly: fan-out, fan-in, a long edge and a lone node', () => {
    const ids = ['start', 'x1', 'x2', 'x3', 'x4', 'mid', 'end', 'alone'];
    const edges: GraphEdge[] = [
      { from: 'start', to: 'x1' },
      { from: 'start', to: 'x2' },
      { from: 'start', to: 'x3' },
      { from: 'start', to: 'x4' },
      { from: 'x1', to: 'mid' },
      { from: 'x2', to: 'mid' },
      { from: 'x3', to: 'mid' },
      { from: 'mid', to: 'end' },
      { from: 'x4', to: 'end' },
      { from: 'start', to: 'end' },
    ];
    const layout = layoutDag(ids, edges);
    expectSound(layout, ids, edges);
    const n = byId(layout);
    for (const { from, to } of edges) expect(n.get(to)!.x).toBeGreaterThan(n.get(from)!.x);
  });

  it('is deterministic: the same input gives the same layout', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const edges: GraphEdge[] = [
      ...DIAMOND,
      { from: 'a', to: 'e' },
      { from: 'e', to: 'f' },
      { from: 'd', to: 'f' },
      { from: 'b', to: 'f' },
    ];
    const first = layoutDag(ids, edges);
    for (let i = 0; i < 3; i++) expect(layoutDag([...ids], [...edges])).toEqual(first);
  });

  it('lays out a 200-node chain, each node after the one before', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => ({ from: ids[i]!, to: id }));
    const layout = layoutDag(ids, edges);
    expectSound(layout, ids, edges);
    for (let i = 1; i < layout.nodes.length; i++) {
      expect(layout.nodes[i]!.x).toBeGreaterThan(layout.nodes[i - 1]!.x);
    }
    // dagre takes a few hundred ms here; the margin is for loaded CI machines.
  }, 15_000);
});

describe('edgePath', () => {
  it('moves to the first point and draws lines to the others', () => {
    expect(
      edgePath([
        { x: 1, y: 2 },
        { x: 3, y: 4 },
        { x: 5, y: 6 },
      ]),
    ).toBe('M1,2 L3,4 L5,6');
  });

  it('rounds to one decimal', () => {
    expect(
      edgePath([
        { x: 1.234, y: 5.678 },
        { x: 10.05, y: -2.26 },
      ]),
    ).toBe('M1.2,5.7 L10.1,-2.3');
  });

  it('is empty without points, a bare move with one', () => {
    expect(edgePath([])).toBe('');
    expect(edgePath([{ x: 7, y: 8 }])).toBe('M7,8');
  });
});
