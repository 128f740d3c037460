import { InvalidTransitionError } from './errors.js';
import type { ExecutionStatus, NodeStatus } from './execution-schema.js';
import { isFinalNodeStatus, isInFlightNodeStatus, isTerminalStatus } from './status-sets.js';

/**
 * The execution lifecycle. `pending` → `running` (or `paused`, `cancelled`, `failed`); `running` ⇄ `paused`;
 * `running` | `paused` → `completed` | `failed` | `cancelled`; `failed` → `running` only by
 * a DLQ retry. `completed` and `cancelled` are final.
 */
const ALLOWED: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = Object.freeze({
  pending: ['running', 'paused', 'cancelled', 'failed'],
  running: ['paused', 'completed', 'failed', 'cancelled'],
  paused: ['running', 'completed', 'failed', 'cancelled'],
  failed: ['running'],
  completed: [],
  cancelled: [],
});

/** True when the lifecycle allows `from` → `to`. */
export function canTransition(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** @throws InvalidTransitionError when the lifecycle does not allow `from` → `to`. */
export function assertTransition(from: ExecutionStatus, to: ExecutionStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

/**
 * What a status change asked of a store (`setExecutionStatus`) does: allowed only when the
 * lifecycle allows it and it is not `failed` → `running` (which only `retryFailedNode`
 * makes, for a DLQ retry).
 * @throws InvalidTransitionError when a store must refuse `from` → `to`.
 */
export function assertStatusChange(from: ExecutionStatus, to: ExecutionStatus): void {
  if (from === 'failed' && to === 'running') throw new InvalidTransitionError(from, to);
  assertTransition(from, to);
}

/** What moving an execution to a status does to it and its nodes. */
export interface StatusChangeEffects {
  /** The change ends the execution: `completedAt` is set. */
  finishes: boolean;
  /** Whether a node in `status` becomes `cancelled` (with `finishedAt` set). */
  cancelsNode(status: NodeStatus): boolean;
}

const NO_NODE = (): boolean => false;
const NOT_FINAL = (status: NodeStatus): boolean => !isFinalNodeStatus(status);

/**
 * The effects of moving an execution to `to`: going to `cancelled` cancels every node that
 * is not settled or cancelled yet (pending ones too); going to `failed` cancels the nodes
 * under way (`queued`, `running`, `delayed`, `waiting`); a terminal status finishes the
 * execution. Every store applies these rules, so both agree.
 */
export function statusChangeEffects(to: ExecutionStatus): StatusChangeEffects {
  const finishes = isTerminalStatus(to);
  if (to === 'cancelled') return { finishes, cancelsNode: NOT_FINAL };
  if (to === 'failed') return { finishes, cancelsNode: isInFlightNodeStatus };
  return { finishes, cancelsNode: NO_NODE };
}
