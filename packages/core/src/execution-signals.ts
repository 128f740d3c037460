/**
 * Signals sent to executions (`engine.signal`): the first one of each name is kept, so a
 * `wait-for-signal` node is completed exactly once — by the signal, or by its timeout,
 * which claims the name with a `timeout` record.
 */

/** What a caller records: a signal's payload, or a wait's timeout claiming the name. */
export interface NewExecutionSignal {
  /** The signal's name (the `name` of the `wait-for-signal` node it completes). */
  name: string;
  /** `signal`: sent by a caller; `timeout`: the node's wait ended first (payload null). */
  kind: 'signal' | 'timeout';
  /** The payload (a JSON value; null for a timeout). */
  payload: unknown;
}

/** A signal kept for an execution. */
export interface ExecutionSignal extends NewExecutionSignal {
  /** When it was recorded (ISO 8601). */
  receivedAt: string;
}

/** Result of `ExecutionStore.recordSignal`. */
export interface RecordSignalResult {
  /** True when this call recorded it; false when the name was taken before. */
  recorded: boolean;
  /** The signal kept under the name: this call's, or the earlier one. */
  signal: ExecutionSignal;
}
