import type { EngineEventListener, EngineEventName } from './engine-events.js';
import type { DLQItem, ExecutionState, LogEntry, Span } from './execution-schema.js';
import type {
  ExecutionFilter,
  ExecutionPage,
  StoredWorkflow,
  TenantScope,
} from './execution-store.js';
import type { WorkflowDefinition } from './workflow-schema.js';

/** Options of `enqueueWorkflow`. */
export interface EnqueueOptions {
  /** 1 = highest; applies to every node of the execution. */
  priority?: number;
  /** Start after this many milliseconds. */
  delayMs?: number;
  /** Start at this time (ISO string or Date). */
  runAt?: string | Date;
  /** The same key returns the same executionId. */
  idempotencyKey?: string;
  tenantId?: string;
}

/** Per-queue job counts. */
export interface QueueStats {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: number;
  prioritized: number;
  dlq: number;
}

/** What `checkHealth` found; `ok` is false when any checked part is down. */
export interface EngineHealth {
  ok: boolean;
  redis: boolean;
  store: boolean;
  /** `null` when this process runs no workers (an API-only process). */
  workers: boolean | null;
}

/**
 * What `@spane/http` (or any other front end) needs of an engine. `WorkflowEngine` in
 * `@spane/bullmq` implements it; a front end depends only on this interface.
 */
export interface IWorkflowEngine {
  registerWorkflow(definition: WorkflowDefinition, scope?: TenantScope): Promise<StoredWorkflow>;
  getWorkflow(
    workflowId: string,
    scope?: TenantScope & { version?: string },
  ): Promise<StoredWorkflow | null>;
  listWorkflows(scope?: TenantScope): Promise<StoredWorkflow[]>;
  listWorkflowVersions(workflowId: string, scope?: TenantScope): Promise<StoredWorkflow[]>;
  unregisterWorkflow(workflowId: string, scope?: TenantScope): Promise<boolean>;

  enqueueWorkflow(
    workflowId: string,
    initialData?: unknown,
    options?: EnqueueOptions,
  ): Promise<string>;
  enqueueWorkflows(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]>;
  enqueueNode(
    executionId: string,
    workflowId: string,
    nodeId: string,
    inputData?: unknown,
  ): Promise<void>;

  getExecution(executionId: string): Promise<ExecutionState | null>;
  listExecutions(filter?: ExecutionFilter): Promise<ExecutionPage>;
  waitForExecution(executionId: string, options?: { timeoutMs?: number }): Promise<ExecutionState>;

  pauseWorkflow(executionId: string): Promise<void>;
  resumeWorkflow(executionId: string): Promise<void>;
  cancelWorkflow(executionId: string): Promise<void>;
  replayWorkflow(executionId: string, options?: { fromNodeId?: string }): Promise<string>;

  getDLQItems(start?: number, end?: number, scope?: TenantScope): Promise<DLQItem[]>;
  retryDLQItem(id: string): Promise<void>;

  /**
   * Starts every workflow with a webhook trigger on `path` (no leading slash needed) and
   * `method`. `body` is the raw request body (string or Buffer) when the caller has it —
   * needed to check an HMAC signature — or an already parsed value.
   * @throws WebhookNotFoundError | InvalidSignatureError | DuplicateDeliveryError
   */
  triggerWebhook(
    path: string,
    method: string,
    body: unknown,
    headers?: Record<string, string | string[] | undefined>,
  ): Promise<string[]>;
  emitEvent(name: string, payload: unknown, scope?: TenantScope): Promise<string[]>;

  getQueueStats(): Promise<QueueStats>;
  getLogs(executionId: string): Promise<LogEntry[]>;
  getTrace(executionId: string): Promise<Span[]>;

  /** Checks Redis (a PING), the store (a read) and this process's workers, each with a short timeout. */
  checkHealth(): Promise<EngineHealth>;

  on<E extends EngineEventName>(event: E, listener: EngineEventListener<E>): () => void;
  close(): Promise<void>;
}
