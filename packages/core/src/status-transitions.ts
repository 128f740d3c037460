import { InvalidTransitionError } from './errors.js';
import type { ExecutionStatus } from './execution-schema.js';

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

/** True for `completed`, `failed` and `cancelled`. */
export function isTerminalStatus(status: ExecutionStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
