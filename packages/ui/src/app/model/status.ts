import type { ExecutionStatus, NodeStatus, SkipReason } from '../api/types.js';

/** How a node status is drawn: a CSS tone, a glyph (no icon font) and a word. */
export interface StatusLook {
  tone: string;
  icon: string;
  label: string;
}

const NODE_LOOKS: Readonly<Record<NodeStatus, StatusLook>> = {
  pending: { tone: 'idle', icon: '○', label: 'pending' },
  queued: { tone: 'queued', icon: '◔', label: 'queued' },
  running: { tone: 'running', icon: '▶', label: 'running' },
  waiting: { tone: 'waiting', icon: '⧗', label: 'waiting' },
  delayed: { tone: 'delayed', icon: '◷', label: 'delayed' },
  completed: { tone: 'ok', icon: '✓', label: 'completed' },
  failed: { tone: 'bad', icon: '✕', label: 'failed' },
  skipped: { tone: 'skipped', icon: '↷', label: 'skipped' },
  cancelled: { tone: 'cancelled', icon: '⊘', label: 'cancelled' },
};

/** The entry of `key` in a table of its own (never an inherited `toString` or `constructor`). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The look of a node status; a status this page does not know reads as itself, neutral. */
export function nodeLook(status: NodeStatus | string | undefined): StatusLook {
  return (
    own(NODE_LOOKS, status ?? 'pending') ?? {
      tone: 'idle',
      icon: '?',
      label: String(status),
    }
  );
}

const EXECUTION_TONES: Readonly<Record<ExecutionStatus, string>> = {
  pending: 'idle',
  running: 'running',
  paused: 'delayed',
  completed: 'ok',
  failed: 'bad',
  cancelled: 'cancelled',
};

/** The CSS tone of an execution status. */
export function executionTone(status: ExecutionStatus | string): string {
  return own(EXECUTION_TONES, status) ?? 'idle';
}

/** Whether an execution can change no more. */
export function isFinished(status: ExecutionStatus | string): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

const SKIP_TEXTS: Readonly<Record<SkipReason, string>> = {
  'not-selected': "not selected by a parent's branch",
  'upstream-skipped': 'every parent was skipped',
  unreachable: 'not reachable from the entry node',
};

/** A sentence for a skip reason. */
export function skipText(reason: SkipReason | string): string {
  return own(SKIP_TEXTS, reason) ?? reason;
}

/**
 * A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`. Truncated, as a
 * stopwatch is: 59 999 ms is `59 s`, never `60 s` (a minute reads `1 min 0 s`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.floor(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** How long a node ran: finished − started, or now − started while it runs; undefined before it starts. */
export function nodeDurationMs(
  state: { startedAt?: string; finishedAt?: string } | undefined,
  now: number,
): number | undefined {
  if (!state?.startedAt) return undefined;
  const start = Date.parse(state.startedAt);
  const end = state.finishedAt ? Date.parse(state.finishedAt) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return Math.max(0, end - start);
}
