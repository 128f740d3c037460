import type { ExecutionStatus, NodeStatus } from './execution-schema.js';

/**
 * Named sets of statuses, so every store and the engine mean the same thing by "active",
 * "terminal" or "settled". Each is a frozen array (usable as a SQL array parameter) with a
 * matching predicate.
 */

/** Executions whose nodes may start: `pending` and `running`. */
export const ACTIVE_EXECUTION_STATUSES: readonly ExecutionStatus[] = Object.freeze([
  'pending',
  'running',
]);

/** Executions that are over: `completed`, `failed` and `cancelled` (only a DLQ retry revives `failed`). */
export const TERMINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = Object.freeze([
  'completed',
  'failed',
  'cancelled',
]);

/** Nodes with a final outcome: `completed`, `failed` and `skipped`. */
export const SETTLED_NODE_STATUSES: readonly NodeStatus[] = Object.freeze([
  'completed',
  'failed',
  'skipped',
]);

/** Nodes no write changes any more (but a DLQ retry): the settled ones and `cancelled`. */
export const FINAL_NODE_STATUSES: readonly NodeStatus[] = Object.freeze([
  ...SETTLED_NODE_STATUSES,
  'cancelled',
]);

/**
 * Nodes under way: `queued`, `running`, `delayed` (a retry or delay node waiting for its
 * time) and `waiting` (a sub-workflow node waiting for its child). A failed execution
 * cancels these.
 */
export const IN_FLIGHT_NODE_STATUSES: readonly NodeStatus[] = Object.freeze([
  'queued',
  'running',
  'delayed',
  'waiting',
]);

/**
 * Nodes that should have a job in the engine's queue: `queued`, `running` and `delayed`
 * (a `waiting` node has none: its child execution completes it).
 */
export const SCHEDULED_NODE_STATUSES: readonly ('queued' | 'running' | 'delayed')[] = Object.freeze(
  ['queued', 'running', 'delayed'] as const,
);

/** True for `pending` and `running` ({@link ACTIVE_EXECUTION_STATUSES}). */
export function isActiveExecutionStatus(status: ExecutionStatus | undefined): boolean {
  return status === 'pending' || status === 'running';
}

/** True for `completed`, `failed` and `cancelled` ({@link TERMINAL_EXECUTION_STATUSES}). */
export function isTerminalStatus(status: ExecutionStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** True for `completed`, `failed` and `skipped` ({@link SETTLED_NODE_STATUSES}). */
export function isSettled(status: NodeStatus | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'skipped';
}

/** True for a settled or `cancelled` node ({@link FINAL_NODE_STATUSES}). */
export function isFinalNodeStatus(status: NodeStatus | undefined): boolean {
  return isSettled(status) || status === 'cancelled';
}

/** True for `queued`, `running`, `delayed` and `waiting` ({@link IN_FLIGHT_NODE_STATUSES}). */
export function isInFlightNodeStatus(status: NodeStatus | undefined): boolean {
  return (
    status === 'queued' || status === 'running' || status === 'delayed' || status === 'waiting'
  );
}
