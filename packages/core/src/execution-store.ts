import type { ApiKeyRecordStore } from './api-key-records.js';
import type {
  DLQItem,
  ExecutionState,
  ExecutionStatus,
  LogEntry,
  NodeStatus,
  SkipReason,
  Span,
} from './execution-schema.js';
import type {
  ExecutionSignal,
  NewExecutionSignal,
  RecordSignalResult,
} from './execution-signals.js';
import type { SecretStore } from './secret-store.js';
import type { NodeInput, NodeOutcome } from './transition.js';
import type { WorkflowPlan } from './workflow-plan.js';
import type { WorkflowDefinition } from './workflow-schema.js';

/** The tenant of single-tenant use. */
export const DEFAULT_TENANT = 'default';

/** One stored version of a workflow definition. */
export interface StoredWorkflow {
  /** Owner tenant. */
  tenantId: string;
  /** The workflow's id. */
  workflowId: string;
  /** Content hash of the definition (see `compileWorkflow`). */
  version: string;
  /** The definition of this version. */
  definition: WorkflowDefinition;
  /** When this version was first saved. */
  createdAt: string;
}

/** Options naming a tenant; `tenantId` defaults to {@link DEFAULT_TENANT}. */
export interface TenantScope {
  /** @defaultValue {@link DEFAULT_TENANT} */
  tenantId?: string;
}

/** Input of {@link ExecutionStore.createExecution}. */
export interface CreateExecutionInput {
  /** The compiled plan of the version to run (must have been saved with `saveWorkflow`). */
  plan: WorkflowPlan;
  /** A new random UUID when omitted. */
  executionId?: string;
  /** @defaultValue {@link DEFAULT_TENANT} */
  tenantId?: string;
  /** Input of the entry nodes. */
  initialData?: unknown;
  /** Same key (per tenant) → the same execution; see `createExecution`. */
  idempotencyKey?: string;
  /** The parent execution, for a sub-workflow's child. */
  parentExecutionId?: string;
  /** The parent's `sub-workflow` node, for a child execution. */
  parentNodeId?: string;
  /** @defaultValue 0 */
  depth?: number;
  /** 1 = highest; applies to every node of the execution. */
  priority?: number;
  /** Free-form data kept with the execution. @defaultValue `{}` */
  metadata?: Record<string, unknown>;
  /**
   * Entry nodes to start at once: instead of `queued` they are created `running` with
   * `attempts` 1 and `startedAt` set, and the execution `running` (as `beginNodeRun` with
   * attempt 1 would leave them); they are listed in `started`. Names that are not entry
   * nodes are ignored. Honoured only by a store whose
   * {@link StoreCapabilities.startsNodes} is true; others leave `started` out.
   */
  start?: readonly string[];
  /**
   * The creating call's run token: each node of `started` is held by
   * `startedRunToken(runToken, nodeId)` (see {@link ExecutionStore.beginNodeRun}); without
   * it, started nodes are held by no token.
   */
  runToken?: string;
}

/** Result of {@link ExecutionStore.createExecution}. */
export interface CreateExecutionResult {
  /** The created execution, or the existing one with the same idempotency key. */
  execution: ExecutionState;
  /** False when an execution with the same idempotency key existed; it is returned unchanged. */
  created: boolean;
  /** Entry nodes, now `queued` — or `running` when in `started` (empty when `created` is false). */
  ready: string[];
  /** The entry nodes of `ready` started as asked by `start` (absent when none was asked). */
  started?: string[];
}

/** Result of {@link ExecutionStore.beginNodeRun}. */
export type BeginNodeRunResult =
  | {
      started: true;
      /** This attempt's number (1 for the first). */
      attempt: number;
      inputData: NodeInput['inputData'];
      previousResults: NodeInput['previousResults'];
      initialData: unknown;
      tenantId: string;
      depth: number;
      parentExecutionId?: string;
      priority?: number;
    }
  | {
      started: false;
      /**
       * `execution-not-active`: the execution is paused, finished or cancelled;
       * `node-not-runnable`: the node is pending, settled or cancelled;
       * `not-found`: no such execution.
       */
      reason: 'execution-not-active' | 'node-not-runnable' | 'not-found';
      executionStatus?: ExecutionStatus;
      nodeStatus?: NodeStatus;
    };

/** Result of {@link ExecutionStore.completeNode}. */
export interface CompleteNodeResult {
  /** False when nothing changed: the node was already settled or cancelled, or the execution is not active. */
  recorded: boolean;
  /** Nodes this call moved to `queued`. */
  ready: string[];
  /** Nodes this call skipped, with reasons. */
  skipped: { nodeId: string; reason: SkipReason }[];
  /** The execution's status after the call. */
  executionStatus: ExecutionStatus;
  /** True when this call moved the execution to `completed` or `failed`. */
  finished: boolean;
  /**
   * The nodes of `ready` that this call started (moved to `running` at attempt 1) as asked
   * by {@link CompleteNodeOptions.start}; absent or empty when none was. A store whose
   * {@link StoreCapabilities.startsNodes} is false leaves it out, and they are `queued`
   * like the rest.
   */
  started?: string[];
  /**
   * True when nothing was recorded because the node is held by another run than the
   * `runToken` given (a run that lost its lock and was re-run elsewhere).
   */
  fenced?: boolean;
}

/** Options of {@link ExecutionStore.completeNode}. */
export interface CompleteNodeOptions {
  /**
   * Nodes to start in the same write if this call makes them ready: instead of `queued`,
   * such a node becomes `running` with `attempts` 1 and `startedAt` set, as
   * {@link ExecutionStore.beginNodeRun} with attempt 1 would have left it, and is listed
   * in `started` (and in `ready`). A node of the list that does not become ready here is
   * not touched, and in a `paused` execution every ready node is queued. Even a store that
   * {@link StoreCapabilities.startsNodes} may queue a node it was asked to start (it is then
   * not in `started`), e.g. a join that several concurrent completions reach together.
   * The engine asks this for a child with this node as its only parent that it is about
   * to run itself — or a join whose other parents' outputs it holds — so the child's run
   * need not begin in a second write. With `runToken`,
   * each started node is held by `startedRunToken(runToken, nodeId)`.
   */
  start?: readonly string[];
  /**
   * The token of the run recording this outcome (fencing, see
   * {@link ExecutionStore.beginNodeRun}): the outcome is recorded only while the node is
   * held by this token; a node held by another run is not touched (`fenced: true`).
   * Without it the outcome is not fenced (sub-workflow and operator outcomes).
   */
  runToken?: string;
  /**
   * The outcome's `data` as the JSON text `JSON.stringify` gives, when the caller has it
   * already (the engine takes it as the executor returns): a store may keep this text
   * instead of serializing `data` again. It must be the text of `data`; ignored for an
   * outcome without data.
   */
  dataText?: string;
}

/**
 * A node attempt's span and log lines handed to {@link ExecutionStore.completeNode}, so a
 * store can write them with the outcome in one operation.
 */
export interface NodeTelemetry {
  /** Written (replaced by `spanId`) as {@link ExecutionStore.recordSpan} would. */
  span: Span;
  /** Appended as {@link ExecutionStore.appendLogs} would. */
  logs?: LogEntry[];
}

/** Filter of {@link ExecutionStore.listExecutions}. */
export interface ExecutionFilter extends TenantScope {
  /** Only executions of this workflow. */
  workflowId?: string;
  /** Only executions in this status (or any of these). */
  status?: ExecutionStatus | ExecutionStatus[];
  /** Only the children of this execution. */
  parentExecutionId?: string;
  /**
   * Only executions created at or after this time (`createdAt >= createdAfter`): an ISO 8601
   * date-time with an offset (`2024-05-01T12:00:00Z`) or a date (midnight UTC), compared to
   * the millisecond. Anything else is refused with `InvalidArgumentError`.
   */
  createdAfter?: string;
  /**
   * Only executions created before this time (`createdAt < createdBefore`), in the form of
   * {@link ExecutionFilter.createdAfter}. A range with `createdBefore <= createdAfter` is
   * empty. Paging with `cursor` keeps the range (pass the same filter with each cursor).
   */
  createdBefore?: string;
  /** @defaultValue 50 (at most 1000) */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** An execution without its node results and initial data, as listings return it. */
export type ExecutionSummary = Omit<ExecutionState, 'nodeResults' | 'initialData'>;

/** One page of executions, newest first. */
export interface ExecutionPage {
  /** The executions of this page. */
  items: ExecutionSummary[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/** Options of {@link ExecutionStore.setExecutionStatus}. */
export interface SetStatusOptions {
  /** Fail with `VersionConflictError` unless the execution is at this version. */
  expectedVersion?: number;
  /** Error text to record (for `failed`, or `cancelled` by a timeout). */
  error?: string;
}

/** A node the engine should be running or about to run: `queued`, `running` or `delayed`, in a `pending` or `running` execution. */
export interface ActiveNode {
  /** The node's execution. */
  executionId: string;
  /** The execution's tenant. */
  tenantId: string;
  /** The execution's workflow. */
  workflowId: string;
  /** The workflow version the execution runs. */
  workflowVersion: string;
  /** The node. */
  nodeId: string;
  /** The node's status. */
  status: 'queued' | 'running' | 'delayed';
  /** Attempts made so far. */
  attempts: number;
  /** The execution's priority (1 = highest). */
  priority?: number;
  /** When the execution was created (for re-arming its workflow timeout). */
  createdAt: string;
}

/** One page of {@link ActiveNode}s, by execution then node. */
export interface ActiveNodePage {
  /** The nodes of this page. */
  items: ActiveNode[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/** Input of {@link ExecutionStore.addDLQItem}. */
export type NewDLQItem = Omit<DLQItem, 'id' | 'failedAt'> & { failedAt?: string };

/** Options of {@link ExecutionStore.listDLQItems}. */
export interface DLQFilter extends TenantScope {
  /** Items of every tenant (for engine-wide work), not just the scope's. */
  allTenants?: boolean;
  /** @defaultValue 50 (at most 1000) */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of dead-letter items, newest first. */
export interface DLQPage {
  /** The items of this page. */
  items: DLQItem[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/**
 * What an adapter can do beyond the required contract. The engine reads these instead of
 * guessing from results; the testkit checks each declared ability.
 */
export interface StoreCapabilities {
  /**
   * `createExecution` and `completeNode` honour their `start` option: they can move the
   * nodes they make ready straight to `running` in the same write, which saves the
   * engine a `beginNodeRun` per such node.
   */
  readonly startsNodes: boolean;
  /**
   * `completeNode` writes its `telemetry` (span and log lines) in the same atomic write as
   * the outcome; when false they are written right after it.
   */
  readonly telemetryWithOutcome: boolean;
}

/**
 * Where SPANE keeps execution state. The methods are engine operations, not CRUD: each
 * one is atomic, and its concurrency guarantee is stated below and checked by
 * `@spane/store-testkit`. An adapter owns its connections; nothing here exposes them.
 *
 * All returned objects are copies: changing them never changes the store.
 * Timestamps are ISO-8601 strings. Data (`initialData`, node `data`, log `meta`) must
 * round-trip exactly as JSON values (`0`, `false`, `""`, `null`, unicode, nesting).
 */
export interface ExecutionStore {
  /** What this adapter can do beyond the required contract. */
  readonly capabilities: StoreCapabilities;

  /**
   * Encrypted secrets and wrapped data keys (see `SecretVault`); absent when the adapter
   * keeps none, and then `{ "$secret": … }` references and `/api/secrets` are refused.
   */
  readonly secrets?: SecretStore;

  /** API keys created through the API (hashed); absent when the adapter keeps none. */
  readonly apiKeys?: ApiKeyRecordStore;

  // ── workflow definitions ─────────────────────────────────────────────

  /**
   * Saves a plan's definition as version `plan.version` of `(tenantId, plan.workflowId)`
   * and makes it the current version (also when it existed, e.g. re-registering an
   * older definition). Of concurrent callers saving the same new version, exactly one
   * receives `created: true`.
   */
  saveWorkflow(
    plan: WorkflowPlan,
    scope?: TenantScope,
  ): Promise<{ workflow: StoredWorkflow; created: boolean }>;

  /** The current version, or the given one (still readable after `deleteWorkflow`); null if none. */
  getWorkflow(
    workflowId: string,
    options?: TenantScope & { version?: string },
  ): Promise<StoredWorkflow | null>;

  /**
   * Current versions of the tenant's workflows that are not deleted, by workflow id. With
   * `allTenants: true`, those of every tenant, by tenant then workflow id — for engine
   * start-up work such as rebuilding trigger routes, never for a tenant's own request.
   */
  listWorkflows(scope?: TenantScope & { allTenants?: boolean }): Promise<StoredWorkflow[]>;

  /** Every saved version of a workflow, oldest first (also after `deleteWorkflow`). */
  listWorkflowVersions(workflowId: string, scope?: TenantScope): Promise<StoredWorkflow[]>;

  /**
   * Removes the workflow from listings and `getWorkflow` without a version; its versions
   * stay readable so running executions can finish. True if it existed; of concurrent
   * callers exactly one receives true.
   */
  deleteWorkflow(workflowId: string, scope?: TenantScope): Promise<boolean>;

  // ── executions ───────────────────────────────────────────────────────

  /**
   * Creates an execution in status `pending` with every node `pending`, then applies
   * `startExecution(plan)`: entry nodes become `queued`, unreachable nodes `skipped`.
   * With an `idempotencyKey`, of concurrent callers using the same key in one tenant
   * exactly one creates the execution; every other caller receives that same execution
   * with `created: false`.
   */
  createExecution(input: CreateExecutionInput): Promise<CreateExecutionResult>;

  /**
   * The whole state, or null. With `tenantId`, only that tenant's execution: another
   * tenant's is null, found in the same lookup (e.g. `WHERE tenant_id = …`), so that it
   * costs what a missing one does — never read first and compared after.
   */
  getExecution(executionId: string, tenantId?: string): Promise<ExecutionState | null>;

  /**
   * The execution without its node results and initial data (status, tenant, version,
   * timestamps…), or null — a light read that never loads node outputs, for status and
   * tenancy checks. With `tenantId`, only that tenant's (as in `getExecution`).
   */
  getExecutionSummary(executionId: string, tenantId?: string): Promise<ExecutionSummary | null>;

  /** Executions matching the filter, newest first, paginated by an opaque cursor. */
  listExecutions(filter?: ExecutionFilter): Promise<ExecutionPage>;

  /**
   * Starts one attempt of a node: if the execution is `pending` or `running` and the
   * node is `queued`, `delayed`, `waiting` or `running` (a re-run after a crash), the
   * node becomes `running` with `startedAt` and `attempts` set to `attempt` (or
   * `attempts + 1` when `attempt` is omitted), and a `pending` execution becomes
   * `running`. Returns what the node needs to run (its input by the data-passing rule),
   * read in the same operation — never the whole execution.
   * Otherwise changes nothing and says why.
   *
   * Fencing, with `runToken` (unique per run; the engine makes one per job processing):
   * the node becomes held by that token, and only the holder's `completeNode` and
   * `setNodeStatus` calls (given the token) are accepted. A node already `running` under
   * the same token is returned as it is, with its stored attempt (a retried call whose
   * first reply was lost); so is a node `delayed` under the same token (a delay node's
   * wake continues its run), which becomes `running` and keeps its `startedAt` (the node
   * started when it began waiting, not when it woke). Any other node begun with a token —
   * `running` under another token or none (a re-run after a crash, or a duplicate of a run
   * that lost its lock), `delayed` or `waiting` — gets attempt
   * `max(attempt ?? attempts + 1, attempts + 1)`, so that no two runs ever share an
   * attempt number, and an earlier run is fenced out. A `queued` node (never run since it
   * was queued, e.g. a started node whose job was parked by a pause) and any node begun
   * without `runToken` get `attempt` (or `attempts + 1`); without a token the node is held
   * by no token.
   * A node held by no token (begun without one, or started by a write without one)
   * accepts any caller's token. Only a `running`, `delayed` or `waiting` node is held:
   * every change that moves a node to another status — settled, cancelled, queued (by
   * `setNodeStatus` or `retryFailedNode`) — releases it. Tokens are internal to the
   * store: no method returns them.
   * @throws InvalidArgumentError when `runToken` is given and is not a non-empty string.
   */
  beginNodeRun(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    attempt?: number,
    runToken?: string,
  ): Promise<BeginNodeRunResult>;

  /**
   * Records a node's final outcome and applies `applyNodeOutcome`, atomically: the
   * result is written once; nodes that became ready are marked `queued`; skips cascade;
   * on `completed` the execution completes, on a failure without `continueOnFail` it
   * fails (its `queued`/`running`/`delayed`/`waiting` nodes become `cancelled`).
   *
   * Guarantees: of concurrent callers completing the last parents of a join, exactly one
   * receives the join in `ready`; every node appears in `ready` at most once over the
   * execution's life (until a DLQ retry); of concurrent callers recording the same node,
   * exactly one receives `recorded: true` (re-recording is a no-op returning false);
   * exactly one caller receives `finished: true`.
   * With `options.runToken` the call is fenced: a node `running`, `delayed` or `waiting`
   * under another run's token is not touched and the result says `fenced: true` (its
   * `telemetry` is still written); a node held by no token accepts it. A settled or
   * cancelled node is refused without `fenced`, whatever the token.
   * Accepted while the execution is `pending`, `running` or `paused`, for a node that is
   * not settled or cancelled; otherwise returns `recorded: false`. Bumps the execution's
   * `version` only when its status changes.
   * With `telemetry`, the attempt's span and log lines are written too, whether or not the
   * outcome is recorded — in the same write when {@link StoreCapabilities.telemetryWithOutcome},
   * else right after it.
   * With `options.start`, ready nodes of that list are started instead of queued (see
   * {@link CompleteNodeOptions}) when {@link StoreCapabilities.startsNodes}.
   * @throws ExecutionNotFoundError
   */
  completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    telemetry?: NodeTelemetry,
    options?: CompleteNodeOptions,
  ): Promise<CompleteNodeResult>;

  /**
   * Sets a node that is not settled or cancelled to `queued`, `delayed` or `waiting`
   * (a retry waiting for its time, a delay node, a sub-workflow node). Returns false
   * when the node is settled or cancelled, or the execution is finished — or, with
   * `runToken`, when the node is held by another run (fencing, see `beginNodeRun`).
   * `delayed` and `waiting` keep the node's holder (they never make a run hold it);
   * `queued` releases it.
   */
  setNodeStatus(
    executionId: string,
    nodeId: string,
    status: 'queued' | 'delayed' | 'waiting',
    options?: { error?: string; runToken?: string },
  ): Promise<boolean>;

  /**
   * Moves the execution to `status` if `assertStatusChange` allows it (the lifecycle;
   * `failed` → `running` is refused here: only `retryFailedNode` revives a failed
   * execution), bumping `version`, with the effects `statusChangeEffects(status)` names:
   * going to `cancelled` cancels every node that is not settled; going to `failed` cancels
   * the nodes under way; a terminal status sets `completedAt`. Of concurrent callers making the same change,
   * exactly one succeeds; the others receive `InvalidTransitionError`.
   * @throws ExecutionNotFoundError | InvalidTransitionError | VersionConflictError
   */
  setExecutionStatus(
    executionId: string,
    status: ExecutionStatus,
    options?: SetStatusOptions,
  ): Promise<ExecutionState>;

  /**
   * Shallow-merges `patch` into `metadata`, bumping `version`. With `expectedVersion`,
   * of concurrent callers expecting the same version exactly one succeeds; the others
   * receive `VersionConflictError`.
   * @throws ExecutionNotFoundError | VersionConflictError
   */
  updateExecutionMetadata(
    executionId: string,
    patch: Record<string, unknown>,
    options?: { expectedVersion?: number },
  ): Promise<ExecutionState>;

  /**
   * Revives a `failed` execution for a DLQ retry: the failed node and every `cancelled`
   * node become `queued`, the execution `running` (error cleared, `completedAt` unset).
   * Returns the nodes to enqueue, or null when the execution is not `failed` or the node
   * is not `failed`. Of concurrent callers, exactly one receives the list.
   */
  retryFailedNode(executionId: string, nodeId: string): Promise<{ ready: string[] } | null>;

  // ── signals ──────────────────────────────────────────────────────────

  /**
   * Keeps the first signal of `signal.name` for an execution (insert if absent), whatever
   * the execution's status: of concurrent callers recording the same name exactly one
   * receives `recorded: true`; every other receives `recorded: false` with the kept
   * signal. Null when the execution does not exist (or is not `tenantId`'s). Signals are
   * deleted with their execution.
   * @throws PayloadNotStorableError when the payload cannot be stored as JSON
   */
  recordSignal(
    executionId: string,
    signal: NewExecutionSignal,
    tenantId?: string,
  ): Promise<RecordSignalResult | null>;

  /** The signal kept under `name` for an execution, or null. */
  getSignal(executionId: string, name: string): Promise<ExecutionSignal | null>;

  /**
   * Every node the engine should be running or about to run — status `queued`, `running`
   * or `delayed` (`SCHEDULED_NODE_STATUSES`) in an execution that is `pending` or
   * `running`, across all tenants — so the engine can schedule again work it lost.
   * Paginated by an opaque cursor, in a stable order. @defaultValue limit 500 (at most 5000)
   */
  listActiveNodes(options?: { limit?: number; cursor?: string }): Promise<ActiveNodePage>;

  /**
   * Deletes up to `limit` executions that finished (`completed`, `failed`, `cancelled`)
   * before `finishedBefore`, with their logs and spans; oldest first. Never touches an
   * execution that is not finished. Returns how many were deleted.
   */
  purgeExecutions(options: { finishedBefore: string; limit?: number }): Promise<number>;

  // ── logs and traces ──────────────────────────────────────────────────
  // Logs and spans are observability: a store may write them less durably than results
  // (e.g. without waiting for the disk), so a crash of the store's database may lose the
  // last lines written by these two methods.

  /** Appends log lines (any executions), kept in order. */
  appendLogs(entries: LogEntry[]): Promise<void>;

  /** An execution's log lines in the order they were appended. */
  getLogs(executionId: string, options?: { limit?: number }): Promise<LogEntry[]>;

  /**
   * Inserts a span, or replaces the one with the same `spanId` (start, then end), and
   * appends `logs` (the attempt's log lines) in the same operation — one write per node
   * attempt for both.
   */
  recordSpan(span: Span, logs?: LogEntry[]): Promise<void>;

  /** An execution's spans, by start time. */
  getSpans(executionId: string): Promise<Span[]>;

  // ── dead letter queue ────────────────────────────────────────────────

  /** Stores a dead-letter item with a new id (and `failedAt` now unless given). */
  addDLQItem(item: NewDLQItem): Promise<DLQItem>;

  /**
   * Items of the tenant (or, with `allTenants: true`, of every tenant) newest first,
   * paginated by an opaque cursor like every other listing.
   */
  listDLQItems(filter?: DLQFilter): Promise<DLQPage>;

  /** How many items the tenant (or, with `allTenants: true`, every tenant) has. */
  countDLQItems(scope?: TenantScope & { allTenants?: boolean }): Promise<number>;

  /** One dead-letter item, or null. With `tenantId`, only that tenant's (as in `getExecution`). */
  getDLQItem(id: string, tenantId?: string): Promise<DLQItem | null>;

  /** Removes an item; of concurrent callers exactly one receives true. */
  removeDLQItem(id: string): Promise<boolean>;

  /**
   * Resolves when the store can serve requests (e.g. its database answers a trivial
   * query); rejects otherwise. Health checks call it with their own timeout.
   */
  ping(): Promise<void>;

  /** Releases what the adapter holds (pools, timers). */
  close(): Promise<void>;
}
