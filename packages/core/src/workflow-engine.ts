import type { DependencyWatch } from './dependencies.js';
import type { BreakerStatus, EngineEventListener, EngineEventName } from './engine-events.js';
import type { ExecutionExplanation } from './execution-explanation.js';
import type { DLQItem, ExecutionState, LogEntry, Span } from './execution-schema.js';
import type {
  ExecutionFilter,
  ExecutionPage,
  ExecutionSummary,
  StoredWorkflow,
  TenantScope,
} from './execution-store.js';
import type { NodeTypeInfo } from './node-type-info.js';
import type { TraceContext } from './trace-context.js';
import type { WorkflowDefinition } from './workflow-schema.js';

/** Options of `enqueueWorkflow`. */
export interface EnqueueOptions {
  /** 1 = highest; applies to every node of the execution. */
  priority?: number;
  /** Start after this many milliseconds. @defaultValue 0 */
  delayMs?: number;
  /** Start at this time (ISO string or Date). */
  runAt?: string | Date;
  /** The same key (per tenant) returns the same executionId instead of starting a new run. */
  idempotencyKey?: string;
  /** The tenant to run in. @defaultValue `'default'` */
  tenantId?: string;
  /**
   * The W3C trace context of the request that starts the execution (see `traceContextOf`):
   * the execution's span is its child, and every node gets it (`ctx.traceContext`).
   */
  traceContext?: TraceContext;
}

/** Per-queue job counts. */
export interface QueueStats {
  /** Jobs waiting for a worker. */
  waiting: number;
  /** Jobs running now. */
  active: number;
  /** Jobs waiting for their time: retries in backoff, delay nodes, delayed starts, parked jobs. */
  delayed: number;
  /** Finished jobs still in Redis (the engine removes them as they finish). */
  completed: number;
  /** Failed jobs still in Redis. */
  failed: number;
  /** Jobs in a paused queue. */
  paused: number;
  /** Waiting jobs that have a priority. */
  prioritized: number;
  /** Dead-letter items of the tenant asked for, or of every tenant. */
  dlq: number;
  /**
   * The worker processes sharing this engine's prefix that published a heartbeat recently
   * (absent where an engine does not track them).
   */
  workers?: WorkerFleet;
}

/**
 * One worker process as its last heartbeat described it. Ages are measured on the Redis
 * server's clock, so hosts whose clocks differ compare alike.
 */
export interface WorkerInfo {
  /** The engine's worker id (`spane-<uuid>`, one per engine instance). */
  id: string;
  /** `os.hostname()` of the worker's process. */
  host: string;
  /** The worker's process id. */
  pid: number;
  /** Node runs in progress on the shared `nodes` queue's worker. */
  busy: number;
  /** That worker's slots: the `concurrency` given to `startWorkers`. */
  slots: number;
  /** Milliseconds since the worker last took a job; null when it took none yet. */
  lastFetchAgeMs: number | null;
  /** Milliseconds since its last heartbeat. */
  heartbeatAgeMs: number;
  /**
   * True when jobs wait on the `nodes` queue (`waiting` or `prioritized`), the worker has a
   * free slot, and it took no job (none since it started) for longer than the engine's
   * `workerStuckAfterMs`.
   */
  stuck: boolean;
}

/** The live worker processes of one prefix (see {@link WorkerInfo}). */
export interface WorkerFleet {
  /** Worker processes whose heartbeat has not expired. */
  live: number;
  /** Of those, the ones that are {@link WorkerInfo.stuck}. */
  stuck: number;
  /** Each live worker, by id. */
  list: WorkerInfo[];
}

/** What `checkHealth` found; `ok` is false when any checked part is down. */
export interface EngineHealth {
  /** True when Redis and the store answered and the workers (if any) run. */
  ok: boolean;
  /** Redis answered a PING in time. */
  redis: boolean;
  /** The store answered its `ping` in time. */
  store: boolean;
  /** `null` when this process runs no workers (an API-only process). */
  workers: boolean | null;
  /**
   * Live and stuck worker processes of the whole prefix (see {@link WorkerFleet}); null
   * when Redis did not answer in time. Informational: it does not change `ok`. Absent
   * where an engine does not track workers.
   */
  liveWorkers?: { live: number; stuck: number } | null;
}

/**
 * Infrastructure faults this engine process met and handled since it started (counters).
 */
export interface EngineFaultCounts {
  /** Store and Redis calls of node runs retried after an infrastructure error. */
  infraRetries: number;
  /** Outcomes the store refused because another run held the node (fenced runs). */
  refusedOutcomes: number;
  /** Node runs stopped because their worker lost the job's lock. */
  lostLocks: number;
}

/**
 * What `@spane/http` (or any other front end) needs of an engine. `WorkflowEngine` in
 * `@spane/bullmq` implements it; a front end depends only on this interface.
 *
 * Tenancy: every method that addresses a workflow, an execution or a dead-letter item by
 * id takes the caller's {@link TenantScope} (last argument; `tenantId` defaults to
 * `'default'`) and treats an id of another tenant exactly as an id that does not exist
 * (null, or the not-found error). A front end passes the caller's tenant and gets
 * isolation without checks of its own.
 */
export interface IWorkflowEngine {
  /** Validates and saves a definition as the workflow's current version. @throws WorkflowValidationError */
  registerWorkflow(definition: WorkflowDefinition, scope?: TenantScope): Promise<StoredWorkflow>;
  /** The current version of a workflow, or the given `version` (also after unregistering); null if none. */
  getWorkflow(
    workflowId: string,
    scope?: TenantScope & { version?: string },
  ): Promise<StoredWorkflow | null>;
  /** Current versions of the tenant's registered workflows. */
  listWorkflows(scope?: TenantScope): Promise<StoredWorkflow[]>;
  /** Every saved version of a workflow, oldest first. */
  listWorkflowVersions(workflowId: string, scope?: TenantScope): Promise<StoredWorkflow[]>;
  /** Removes a workflow from listings and its triggers; running executions finish. True if it existed. */
  unregisterWorkflow(workflowId: string, scope?: TenantScope): Promise<boolean>;
  /**
   * The node types definitions may use (the engine's built-ins, then the registered ones
   * in registration order), each with its description, JSON Schemas and limits.
   */
  listNodeTypes(): NodeTypeInfo[];
  /**
   * The state of each registered node type's circuit breaker (types registered with a
   * `breaker`), shared by every engine process of the prefix. Optional for engines without
   * breakers.
   */
  getBreakerStates?(): Promise<Record<string, BreakerStatus>>;

  /**
   * Starts an execution of the workflow's current version; returns its id.
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError
   */
  enqueueWorkflow(
    workflowId: string,
    initialData?: unknown,
    options?: EnqueueOptions,
  ): Promise<string>;
  /** Starts several executions (every request checked first); ids in request order. */
  enqueueWorkflows(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]>;
  /**
   * Queues one node of an existing execution (of `workflowId`), its input computed from
   * its parents' results.
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError
   */
  enqueueNode(
    executionId: string,
    workflowId: string,
    nodeId: string,
    scope?: TenantScope,
  ): Promise<void>;

  /** The whole state of an execution (with every node output), or null. */
  getExecution(executionId: string, scope?: TenantScope): Promise<ExecutionState | null>;
  /** The execution without node results and initial data (a light read: no node outputs), or null. */
  getExecutionSummary(executionId: string, scope?: TenantScope): Promise<ExecutionSummary | null>;
  /** Executions matching the filter, newest first, one page at a time. */
  listExecutions(filter?: ExecutionFilter): Promise<ExecutionPage>;
  /** Resolves with the state once the execution is `completed`, `failed` or `cancelled`; rejects after `timeoutMs` (`WorkflowEngine`: default 60 000) with code `TIMEOUT`. @throws ExecutionNotFoundError */
  waitForExecution(
    executionId: string,
    options?: { timeoutMs?: number },
    scope?: TenantScope,
  ): Promise<ExecutionState>;

  /** After this returns no new node of the execution starts; running nodes finish. @throws ExecutionNotFoundError | InvalidTransitionError */
  pauseWorkflow(executionId: string, scope?: TenantScope): Promise<void>;
  /** Continues a paused execution. @throws ExecutionNotFoundError | InvalidTransitionError */
  resumeWorkflow(executionId: string, scope?: TenantScope): Promise<void>;
  /** Cancels an execution and its sub-workflows; running nodes see `ctx.signal` aborted. @throws ExecutionNotFoundError | InvalidTransitionError */
  cancelWorkflow(executionId: string, scope?: TenantScope): Promise<void>;
  /** Starts a new execution of the same version and input; with `fromNodeId`, reuses the results of nodes outside it and its descendants. Returns the new id. @throws ExecutionNotFoundError */
  replayWorkflow(
    executionId: string,
    options?: { fromNodeId?: string },
    scope?: TenantScope,
  ): Promise<string>;

  /**
   * Sends the signal `name` to an execution: completes its `wait-for-signal` node of that
   * name with `payload` as the node's output — now if it waits, else when it starts
   * waiting (the signal is kept). The first signal of a name wins.
   * @throws ExecutionNotFoundError | UnknownSignalError | SignalRejectedError | PayloadTooLargeError
   */
  signal(executionId: string, name: string, payload?: unknown, scope?: TenantScope): Promise<void>;

  /**
   * Why each unfinished node of an execution is not running (or what runs it), from the
   * store and Redis as they are now: waiting for parents, queued (position), held by a
   * limit or a breaker, paused, delayed, retrying, waiting for a child or a signal, or
   * lost (reconcile re-adds it). Read-only. A finished execution gives no nodes.
   * @throws ExecutionNotFoundError (also for another tenant's execution)
   */
  explain(executionId: string, scope?: TenantScope): Promise<ExecutionExplanation>;

  /** Dead-letter items of the tenant, newest first; `start` and `end` are inclusive indexes. @defaultValue all (`0`, `-1`) */
  getDLQItems(start?: number, end?: number, scope?: TenantScope): Promise<DLQItem[]>;
  /** One dead-letter item of the tenant, or null. */
  getDLQItem(id: string, scope?: TenantScope): Promise<DLQItem | null>;
  /** Runs a dead-lettered node again with fresh attempts; the execution continues on success. @throws DLQItemNotFoundError */
  retryDLQItem(id: string, scope?: TenantScope): Promise<void>;

  /**
   * Starts every workflow of the tenant with a webhook trigger on `path` (no leading slash
   * needed) and `method`: webhook paths belong to a tenant. `body` is the raw request body
   * (string or Buffer) when the caller has it — needed to check an HMAC signature — or an
   * already parsed value.
   * @throws WebhookNotFoundError | InvalidSignatureError | DuplicateDeliveryError | InvalidArgumentError
   */
  triggerWebhook(
    path: string,
    method: string,
    body: unknown,
    headers?: Record<string, string | string[] | undefined>,
    scope?: TenantScope,
  ): Promise<string[]>;
  /** Starts every workflow of the tenant with an event trigger for `name`, with `payload` as initial data; returns the new execution ids. */
  emitEvent(name: string, payload: unknown, scope?: TenantScope): Promise<string[]>;

  /**
   * Job counts of the engine's node queues (every tenant: the queues are shared), summed,
   * and the dead-letter count — of the scope's tenant when a scope is given, else of
   * every tenant.
   */
  getQueueStats(scope?: TenantScope): Promise<QueueStats>;
  /** An execution's log lines (engine events and `ctx.log`), in order. @throws ExecutionNotFoundError */
  getLogs(executionId: string, scope?: TenantScope): Promise<LogEntry[]>;
  /** An execution's spans, one per node attempt, by start time. @throws ExecutionNotFoundError */
  getTrace(executionId: string, scope?: TenantScope): Promise<Span[]>;

  /** Checks Redis (a PING), the store (`ping`) and this process's workers, each with a short timeout. */
  checkHealth(): Promise<EngineHealth>;
  /** Infrastructure faults this process met and handled since it started. */
  getFaultCounts(): EngineFaultCounts;
  /**
   * The engine's dependency monitor (Redis and the store up or down), when it has one: a
   * front end consults it to refuse requests at once while a part they need is down.
   */
  readonly dependencies?: DependencyWatch;

  /** Listens to an engine event of every engine process on the same Redis prefix; returns a function that removes the listener. */
  on<E extends EngineEventName>(event: E, listener: EngineEventListener<E>): () => void;
  /** Stops workers (after a grace period for running nodes) and closes connections; the store is the caller's to close. */
  close(): Promise<void>;
}
