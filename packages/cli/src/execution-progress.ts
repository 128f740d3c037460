import type { ExecutionState, ExecutionStatus } from './api-types.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** Node status after an engine event of the event stream, by event name. */
const NODE_STATUS_BY_EVENT: Readonly<Record<string, string>> = {
  'node:started': 'running',
  'node:completed': 'completed',
  'node:retrying': 'delayed',
  'node:skipped': 'skipped',
};

/** Execution status after an engine event, by event name. */
const STATUS_BY_EVENT: Readonly<Record<string, ExecutionStatus>> = {
  'workflow:started': 'running',
  'workflow:resumed': 'running',
  'workflow:paused': 'paused',
  'workflow:completed': 'completed',
  'workflow:failed': 'failed',
  'workflow:cancelled': 'cancelled',
};

/** Counts of an execution's nodes. */
export interface NodeCounts {
  /** Nodes that are settled: completed, failed, skipped or cancelled. */
  settled: number;
  /** Every node of the execution. */
  total: number;
  /** Ids of the nodes running now. */
  running: string[];
}

/**
 * What the CLI knows of a running execution while it follows its event stream: the
 * status and each node's status, from the `state` events (the whole state) and the engine
 * events in between (`node:started`, `node:completed`, …).
 */
export class ExecutionProgress {
  /** The execution's status as last seen. */
  status: ExecutionStatus = 'pending';
  /** The last whole state seen. */
  state: ExecutionState | undefined;
  readonly #nodes = new Map<string, string>();

  /** Takes a whole state (the first and the last event of a stream, or a poll). */
  setState(state: ExecutionState): void {
    this.state = state;
    this.status = state.status;
    this.#nodes.clear();
    for (const [id, node] of Object.entries(state.nodeResults)) this.#nodes.set(id, node.status);
  }

  /** Takes one engine event of the stream (`node:completed`, `workflow:paused`, …). */
  applyEvent(name: string, payload: { nodeId?: unknown; final?: unknown }): void {
    const status = STATUS_BY_EVENT[name];
    if (status !== undefined) this.status = status;
    if (typeof payload.nodeId !== 'string' || !name.startsWith('node:')) return;
    const nodeStatus =
      name === 'node:failed' ? (payload.final ? 'failed' : 'delayed') : NODE_STATUS_BY_EVENT[name];
    if (nodeStatus !== undefined) this.#nodes.set(payload.nodeId, nodeStatus);
  }

  /** How many nodes are settled, of how many, and which run now. */
  counts(): NodeCounts {
    let settled = 0;
    const running: string[] = [];
    for (const [id, status] of this.#nodes) {
      if (SETTLED.has(status)) settled++;
      else if (status === 'running') running.push(id);
    }
    return { settled, total: this.#nodes.size, running };
  }

  /**
   * The progress line, `running 3/7 nodes · 1.2s · fetch, shape` (the time only when
   * `elapsedMs` is given, the nodes running now at the end).
   */
  describe(elapsedMs?: number): string {
    const { settled, total, running } = this.counts();
    const parts = [`${this.status} ${settled}/${total} nodes`];
    if (elapsedMs !== undefined) parts.push(formatDuration(elapsedMs));
    if (running.length > 0) parts.push(abbreviate(running));
    return parts.join(' · ');
  }
}

function abbreviate(ids: readonly string[]): string {
  const shown = ids.slice(0, 3).join(', ');
  return ids.length > 3 ? `${shown}, +${ids.length - 3}` : shown;
}

/** A duration for people: `850ms`, `1.2s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}
