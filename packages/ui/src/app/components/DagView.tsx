import { useMemo, useState } from 'preact/hooks';
import type { NodeDefinition, NodeState } from '../api/types.js';
import { type GraphEdge, nodeLabel } from '../model/graph.js';
import { edgePath, layoutDag, type PlacedNode } from '../model/layout.js';
import { formatDuration, nodeDurationMs, nodeLook } from '../model/status.js';

/** Props of {@link DagView}. */
export interface DagViewProps {
  /** The nodes, in definition order. */
  nodes: readonly NodeDefinition[];
  edges: readonly GraphEdge[];
  /** Each node's state in an execution; absent for a definition. */
  states?: Readonly<Record<string, NodeState>>;
  selectedId?: string | undefined;
  onSelect?: (nodeId: string) => void;
  /** The clock for running nodes' durations. */
  now?: number;
  /** Accessible name of the drawing. */
  label: string;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The second line of a node's box: its type, or its status details in a run. */
function detail(node: NodeDefinition, state: NodeState | undefined, now: number): string {
  if (!state) return node.type;
  const parts: string[] = [nodeLook(state.status).label];
  if (state.attempts > 1) parts.push(`${state.attempts} attempts`);
  const ms = nodeDurationMs(state, now);
  if (ms !== undefined) parts.push(formatDuration(ms));
  if (state.items) parts.push(`${state.items.done}/${state.items.total}`);
  return parts.join(' · ');
}

/** The sentence a screen reader gets for a node. */
function describe(node: NodeDefinition, state: NodeState | undefined, now: number): string {
  const head = `${nodeLabel(node)} (${node.type})`;
  if (!state) return head;
  const more = [detail(node, state, now)];
  if (state.skipReason) more.push(`skip reason ${state.skipReason}`);
  return `${head}: ${more.join(', ')}`;
}

/** Above this many nodes the layout would keep the page busy too long: a list is shown instead. */
export const MAX_DRAWN_NODES = 400;

/** The nodes as a list of buttons, for graphs too large to draw. */
function NodeList({ nodes, states, selectedId, onSelect, now, label }: DagViewProps) {
  return (
    <div class="dag-scroll">
      <p class="muted pad">
        {nodes.length} nodes: more than {MAX_DRAWN_NODES}, shown as a list instead of a drawing.
      </p>
      <ul class="node-list" aria-label={label}>
        {nodes.map((node) => {
          const state = states?.[node.id];
          const look = state ? nodeLook(state.status) : undefined;
          return (
            <li key={node.id}>
              <button
                type="button"
                class={`tone-${look?.tone ?? 'def'}`}
                aria-pressed={selectedId === node.id}
                data-node-id={node.id}
                data-status={state?.status}
                onClick={() => onSelect?.(node.id)}
              >
                {look?.icon} {describe(node, state, now ?? 0)}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * A workflow drawn as a layered DAG (SVG): a box per node, coloured and marked by its
 * status when `states` is given; boxes are buttons (click, Enter or Space selects).
 */
export function DagView(props: DagViewProps) {
  if (props.nodes.length > MAX_DRAWN_NODES) return <NodeList {...props} />;
  return <DagDrawing {...props} />;
}

/** One node's box: a keyboard-reachable button drawn in SVG. */
function DagNodeBox({
  place: p,
  node,
  state,
  selected,
  onSelect,
  now,
}: {
  place: PlacedNode;
  node: NodeDefinition;
  state: NodeState | undefined;
  selected: boolean;
  onSelect: (id: string) => void;
  now: number;
}) {
  const look = state ? nodeLook(state.status) : undefined;
  const select = onSelect;
  return (
    // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>
    <g
      class={`dag-node tone-${look?.tone ?? 'def'}${selected ? ' selected' : ''}`}
      transform={`translate(${p.x},${p.y})`}
      role="button"
      tabIndex={0}
      aria-label={describe(node, state, now)}
      aria-pressed={selected}
      data-node-id={p.id}
      data-status={state?.status}
      onClick={() => select(p.id)}
      onKeyDown={(ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          select(p.id);
        }
      }}
    >
      <title>{describe(node, state, now)}</title>
      <rect width={p.width} height={p.height} rx="8" />
      {look && (
        <text class="icon" x="12" y="24">
          {look.icon}
        </text>
      )}
      <text class="name" x={look ? 30 : 12} y="24">
        {clip(nodeLabel(node), 20)}
      </text>
      <text class="sub" x="12" y="44">
        {clip(detail(node, state, now), 28)}
      </text>
    </g>
  );
}

function DagDrawing({ nodes, edges, states, selectedId, onSelect, now = 0, label }: DagViewProps) {
  const [direction, setDirection] = useState<'LR' | 'TB'>(() =>
    window.matchMedia?.('(max-width: 700px)').matches ? 'TB' : 'LR',
  );
  const layout = useMemo(
    () =>
      layoutDag(
        nodes.map((n) => n.id),
        edges,
        { direction },
      ),
    [nodes, edges, direction],
  );
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);
  const select = (id: string) => onSelect?.(id);
  return (
    <div class="dag-scroll">
      <button
        type="button"
        class="link dag-direction"
        onClick={() => setDirection(direction === 'LR' ? 'TB' : 'LR')}
      >
        {direction === 'LR' ? 'Lay out top to bottom' : 'Lay out left to right'}
      </button>
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG drawing cannot be a fieldset */}
      <svg
        class="dag"
        role="group"
        aria-label={label}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        style={{
          // Shrinks to the box (down to 60 %, then the box scrolls), never grows past 1:1.
          width: '100%',
          maxWidth: `${layout.width}px`,
          minWidth: `${Math.round(layout.width * 0.6)}px`,
        }}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        {layout.edges.map((e) => {
          const from = states?.[e.from];
          const off =
            from?.status === 'skipped' ||
            (from?.nextNodes !== undefined && !from.nextNodes.includes(e.to));
          return (
            <path
              key={`${e.from}->${e.to}`}
              class={off ? 'edge edge-off' : 'edge'}
              d={edgePath(e.points)}
              marker-end="url(#arrow)"
            />
          );
        })}
        {layout.nodes.map((p) => (
          <DagNodeBox
            key={p.id}
            place={p}
            node={byId.get(p.id)!}
            state={states ? (states[p.id] ?? { status: 'pending', attempts: 0 }) : undefined}
            selected={selectedId === p.id}
            onSelect={select}
            now={now}
          />
        ))}
      </svg>
    </div>
  );
}
