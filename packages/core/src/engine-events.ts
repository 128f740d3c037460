import type { SkipReason } from './execution-schema.js';

interface ExecutionEventBase {
  /**
   * Identifies the occurrence: events are delivered at least once (a run that takes over
   * from one that died after its commit sends its events again), and a repeat carries the
   * same id — listeners that must act once deduplicate by it. Deterministic for events a
   * re-run can repeat: `'<event>:<executionId>'` for `workflow:started`, `workflow:completed`
   * and `workflow:cancelled`; `'<event>:<executionId>:<nodeId>:<attempt>'` for node events
   * with an attempt and for `workflow:failed`; `'node:skipped:<executionId>:<nodeId>'`;
   * random for `workflow:paused` and `workflow:resumed`.
   */
  eventId: string;
  executionId: string;
  workflowId: string;
  tenantId: string;
  timestamp: string;
}

interface NodeEventBase extends ExecutionEventBase {
  nodeId: string;
  nodeType: string;
}

/** Engine events and their payloads (SPEC §3). Delivered to listeners in every engine process. */
export interface EngineEventMap {
  /** An execution was created; emitted before its first nodes are enqueued. */
  'workflow:started': ExecutionEventBase;
  /** Every node is settled and the execution completed. */
  'workflow:completed': ExecutionEventBase;
  /** A node failed for good (without `continueOnFail`): `nodeId` and its `error`. */
  'workflow:failed': ExecutionEventBase & { error: string; nodeId?: string };
  /** The execution was cancelled; `reason` says why when it was not a plain cancel (e.g. its workflow timeout). */
  'workflow:cancelled': ExecutionEventBase & { reason?: string };
  /** `pauseWorkflow` took effect. */
  'workflow:paused': ExecutionEventBase;
  /** `resumeWorkflow` took effect. */
  'workflow:resumed': ExecutionEventBase;
  /** An attempt of a node began (after the store's `beginNodeRun`). */
  'node:started': NodeEventBase & { attempt: number };
  /** A node's result was recorded; emitted before its children are enqueued. */
  'node:completed': NodeEventBase & { attempt: number; durationMs: number };
  /** An attempt failed; `final` when no attempt follows. */
  'node:failed': NodeEventBase & { attempt: number; error: string; final: boolean };
  /** An attempt failed and the next one starts after `delayMs`. */
  'node:retrying': NodeEventBase & { attempt: number; error: string; delayMs: number };
  /** A node was skipped, with the `reason`. */
  'node:skipped': NodeEventBase & { reason: SkipReason };
  /**
   * A node type's circuit breaker changed state (`breaker` option of the registry); sent by
   * the process whose run changed it. Not an execution event: not in {@link ENGINE_EVENT_NAMES}.
   */
  'breaker:changed': BreakerChange;
}

/** The state of a node type's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** The payload of `breaker:changed`. */
export interface BreakerChange {
  /** Random: each change is sent once. */
  eventId: string;
  /** The node type. */
  nodeType: string;
  /** The new state. */
  state: BreakerState;
  /** While open: when the next probe may run (ISO 8601); while half-open: when the probe's lease ends. */
  opensUntil?: string;
  /** When the change happened (ISO 8601). */
  timestamp: string;
}

/** A node type's circuit breaker as `GET /api/node-types` shows it. */
export interface BreakerStatus {
  /** The state now. */
  state: BreakerState;
  /** While open: when the next probe may run; while half-open: when the probe's lease ends (ISO 8601). */
  opensUntil?: string;
}

/** The name of an engine event, e.g. `'node:completed'`. */
export type EngineEventName = keyof EngineEventMap;

/** The name of an execution event: every engine event but `breaker:changed`. */
export type ExecutionEventName = Exclude<EngineEventName, 'breaker:changed'>;

/** The names of every execution event (every engine event but `breaker:changed`). */
export const ENGINE_EVENT_NAMES: readonly ExecutionEventName[] = Object.freeze([
  'workflow:started',
  'workflow:completed',
  'workflow:failed',
  'workflow:cancelled',
  'workflow:paused',
  'workflow:resumed',
  'node:started',
  'node:completed',
  'node:failed',
  'node:retrying',
  'node:skipped',
]);

/** A synchronous listener of one engine event. */
export type EngineEventListener<E extends EngineEventName> = (payload: EngineEventMap[E]) => void;

/** An event's payload as an emitter gives it: its `eventId` is derived when left out. */
export type EngineEventInput<E extends EngineEventName> = Omit<EngineEventMap[E], 'eventId'> & {
  eventId?: string;
};
