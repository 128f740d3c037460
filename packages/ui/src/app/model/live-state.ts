import type { ExecutionState, ExecutionStatus, NodeState } from '../api/types.js';

/** The JSON of an engine event frame (`node:*`, `workflow:*`) of the execution stream. */
export interface StreamEvent {
  executionId?: string;
  nodeId?: string;
  timestamp?: string;
  attempt?: number;
  durationMs?: number;
  error?: string;
  final?: boolean;
  reason?: string;
}

/** What applying a frame did: the new state, and whether outputs may now be stale. */
export interface Applied {
  state: ExecutionState;
  /** A node finished: its output is not in the event, re-read the state to show it. */
  refresh: boolean;
}

const WORKFLOW_STATUS: Readonly<Record<string, ExecutionStatus>> = {
  'workflow:started': 'running',
  'workflow:completed': 'completed',
  'workflow:failed': 'failed',
  'workflow:cancelled': 'cancelled',
  'workflow:paused': 'paused',
  'workflow:resumed': 'running',
};

function withNode(state: ExecutionState, nodeId: string, patch: (n: NodeState) => NodeState) {
  const current: NodeState = state.nodeResults[nodeId] ?? { status: 'pending', attempts: 0 };
  return { ...state, nodeResults: { ...state.nodeResults, [nodeId]: patch(current) } };
}

function nodeEvent(state: ExecutionState, name: string, e: StreamEvent): Applied | undefined {
  const nodeId = e.nodeId;
  if (!nodeId) return undefined;
  const at = e.timestamp;
  const attempts = (n: NodeState) => Math.max(n.attempts, e.attempt ?? n.attempts);
  switch (name) {
    case 'node:started':
      return {
        state: withNode(state, nodeId, (n) => {
          const { finishedAt: _f, error: _e, ...rest } = n;
          const next: NodeState = { ...rest, status: 'running', attempts: attempts(n) };
          if (!next.startedAt && at) next.startedAt = at;
          return next;
        }),
        refresh: false,
      };
    case 'node:completed':
      return {
        state: withNode(state, nodeId, (n) => {
          const next: NodeState = { ...n, status: 'completed', attempts: attempts(n) };
          if (at) next.finishedAt = at;
          if (!next.startedAt && at && e.durationMs !== undefined) {
            next.startedAt = new Date(Date.parse(at) - e.durationMs).toISOString();
          }
          return next;
        }),
        refresh: true,
      };
    case 'node:failed':
      return {
        state: withNode(state, nodeId, (n) => {
          const next: NodeState = { ...n, attempts: attempts(n) };
          if (e.error !== undefined) next.error = e.error;
          if (e.final !== false) {
            next.status = 'failed';
            if (at) next.finishedAt = at;
          }
          return next;
        }),
        refresh: e.final !== false,
      };
    case 'node:retrying':
      return {
        state: withNode(state, nodeId, (n) => {
          const next: NodeState = { ...n, status: 'delayed', attempts: attempts(n) };
          if (e.error !== undefined) next.error = e.error;
          return next;
        }),
        refresh: false,
      };
    case 'node:skipped':
      return {
        state: withNode(state, nodeId, (n) => {
          const next: NodeState = { ...n, status: 'skipped' };
          if (e.reason) next.skipReason = e.reason as NodeState['skipReason'];
          return next;
        }),
        refresh: false,
      };
    default:
      return undefined;
  }
}

/**
 * The execution after one frame of its event stream: `state` replaces it; `node:*` and
 * `workflow:*` events change one node or the status at once (the colour turns live), and
 * say when the full state should be re-read for what events do not carry (outputs).
 * Frames of another execution, unknown names and bad JSON leave it as it is.
 */
export function applyFrame(state: ExecutionState, event: string, data: string): Applied {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return { state, refresh: false };
  }
  if (event === 'state') {
    const next = payload as ExecutionState;
    if (next && typeof next === 'object' && next.executionId === state.executionId) {
      return { state: next, refresh: false };
    }
    return { state, refresh: false };
  }
  const e = (payload ?? {}) as StreamEvent;
  if (e.executionId !== undefined && e.executionId !== state.executionId) {
    return { state, refresh: false };
  }
  const status = Object.hasOwn(WORKFLOW_STATUS, event) ? WORKFLOW_STATUS[event] : undefined;
  if (status) {
    const next: ExecutionState = { ...state, status };
    if (event === 'workflow:failed' && e.error !== undefined) next.error = e.error;
    return { state: next, refresh: status !== 'running' && status !== 'paused' };
  }
  return nodeEvent(state, event, e) ?? { state, refresh: false };
}
