import { InvalidTransitionError } from './errors.js';
import { type ExecutionStatus, type NodeStatus, NodeStatusSchema } from './execution-schema.js';
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
  /** The node statuses that become `cancelled` (for a store that filters in a query). */
  cancelledNodeStatuses: readonly NodeStatus[];
  /** The execution statuses a store may make this change from ({@link assertStatusChange}). */
  allowedFrom: readonly ExecutionStatus[];
}

// Every status, from the one place that lists them (the lifecycle table, the schema).
const EXECUTION_STATUSES = Object.keys(ALLOWED) as ExecutionStatus[];
const NODE_STATUSES: readonly NodeStatus[] = NodeStatusSchema.anyOf.map((s) => s.const);
const NO_NODE = (): boolean => false;
const NOT_FINAL = (status: NodeStatus): boolean => !isFinalNodeStatus(status);

function effects(to: ExecutionStatus): StatusChangeEffects {
  const cancelsNode =
    to === 'cancelled' ? NOT_FINAL : to === 'failed' ? isInFlightNodeStatus : NO_NODE;
  return Object.freeze({
    finishes: isTerminalStatus(to),
    cancelsNode,
    cancelledNodeStatuses: Object.freeze(NODE_STATUSES.filter(cancelsNode)),
    allowedFrom: Object.freeze(
      EXECUTION_STATUSES.filter(
        (from) => canTransition(from, to) && !(from === 'failed' && to === 'running'),
      ),
    ),
  });
}

const EFFECTS: Readonly<Record<ExecutionStatus, StatusChangeEffects>> = Object.freeze(
  Object.fromEntries(EXECUTION_STATUSES.map((to) => [to, effects(to)])) as Record<
    ExecutionStatus,
    StatusChangeEffects
  >,
);

/**
 * The effects of moving an execution to `to`: going to `cancelled` cancels every node that
 * is not settled or cancelled yet (pending ones too); going to `failed` cancels the nodes
 * under way (`queued`, `running`, `delayed`, `waiting`); a terminal status finishes the
 * execution. Every store applies these rules, so both agree.
 */
export function statusChangeEffects(to: ExecutionStatus): StatusChangeEffects {
  return EFFECTS[to];
}
