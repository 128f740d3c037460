import { brandClass, SpaneError } from './errors.js';

/** The execution's workflow has no `wait-for-signal` node of this name. HTTP 404. */
export class UnknownSignalError extends SpaneError {
  /** The signal's name. */
  readonly signalName: string;
  constructor(executionId: string, signalName: string) {
    super(
      'UNKNOWN_SIGNAL',
      `Execution '${executionId}' has no wait-for-signal node named '${signalName}'`,
      { details: { executionId, name: signalName } },
    );
    this.signalName = signalName;
  }
}
brandClass(UnknownSignalError, 'UnknownSignalError');

/**
 * Why a signal was refused: `already-received` (a signal of this name came first),
 * `timed-out` (the wait ended first), `node-finished` (the node was skipped, cancelled or
 * completed otherwise), `execution-finished` (the execution ended).
 */
export type SignalRejection =
  | 'already-received'
  | 'timed-out'
  | 'node-finished'
  | 'execution-finished';

/** A signal arrived too late: nothing was recorded. HTTP 409. */
export class SignalRejectedError extends SpaneError {
  /** Why it was refused. */
  readonly reason: SignalRejection;
  constructor(executionId: string, signalName: string, reason: SignalRejection) {
    const why: Record<SignalRejection, string> = {
      'already-received': 'was already received',
      'timed-out': 'is no longer awaited: the wait timed out',
      'node-finished': 'is no longer awaited: its node is finished',
      'execution-finished': 'is no longer awaited: the execution is finished',
    };
    super(
      'SIGNAL_REJECTED',
      `Signal '${signalName}' of execution '${executionId}' ${why[reason]}`,
      {
        details: { executionId, name: signalName, reason },
      },
    );
    this.reason = reason;
  }
}
brandClass(SignalRejectedError, 'SignalRejectedError');
