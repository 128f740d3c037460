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
  'workflow:started': ExecutionEventBase;
  'workflow:completed': ExecutionEventBase;
  'workflow:failed': ExecutionEventBase & { error: string; nodeId?: string };
  'workflow:cancelled': ExecutionEventBase & { reason?: string };
  'workflow:paused': ExecutionEventBase;
  'workflow:resumed': ExecutionEventBase;
  'node:started': NodeEventBase & { attempt: number };
  'node:completed': NodeEventBase & { attempt: number; durationMs: number };
  'node:failed': NodeEventBase & { attempt: number; error: string; final: boolean };
  'node:retrying': NodeEventBase & { attempt: number; error: string; delayMs: number };
  'node:skipped': NodeEventBase & { reason: SkipReason };
}

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
