import type { SkipReason } from './execution-schema.js';

interface ExecutionEventBase {
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
}

/** The name of an engine event, e.g. `'node:completed'`. */
export type EngineEventName = keyof EngineEventMap;

/** The names of every engine event. */
export const ENGINE_EVENT_NAMES: readonly EngineEventName[] = Object.freeze([
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
