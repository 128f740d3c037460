import {
  type BreakerStatus,
  type DependencyWatch,
  type DLQItem,
  type EngineEventListener,
  type EngineEventName,
  type EngineFaultCounts,
  type EngineHealth,
  type EnqueueOptions,
  type ExecutionExplanation,
  type ExecutionFilter,
  ExecutionNotFoundError,
  type ExecutionPage,
  type ExecutionState,
  type ExecutionStore,
  type ExecutionSummary,
  type IWorkflowEngine,
  type LogEntry,
  type NodeRegistry,
  type NodeTypeInfo,
  type QueueStats,
  type Span,
  type StoredWorkflow,
  type TenantScope,
  type WorkflowDefinition,
} from '@spane/core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { settleAll } from './bounded-wait.js';
import { dlqRange } from './dlq-range.js';
import { assembleEngine, type EngineParts } from './engine-assembly.js';
import { resolveEngineOptions, type WorkflowEngineOptions } from './engine-options.js';
import { waitForExecution } from './execution-waiter.js';
import type { ReconcileResult } from './reconciler.js';
import { isClusterClient } from './redis-cluster.js';
import { TenantGuard, tenantOf } from './tenant-guard.js';

/**
 * An ioredis instance (`Redis`, or `Cluster`: then the `prefix` must hold a hash tag,
 * `{spane}` by default), a redis:// URL, or ioredis options.
 */
export type RedisConnection = Redis | Cluster | string | RedisOptions;

/**
 * Runs workflow DAGs on BullMQ: one job per node run, readiness decided by the store's
 * atomic operations, state in the given {@link ExecutionStore}. Any number of engine
 * processes may share one Redis (same `prefix`) and one store.
 *
 * Every method that addresses a workflow, an execution or a dead-letter item by id takes
 * the caller's `scope` last (`tenantId` defaults to `'default'`) and treats an id of
 * another tenant exactly as a missing one.
 */
export class WorkflowEngine implements IWorkflowEngine {
  readonly #parts: EngineParts;
  readonly #store: ExecutionStore;
  readonly #tenants: TenantGuard;

  constructor(
    registry: NodeRegistry,
    store: ExecutionStore,
    redis: RedisConnection,
    options: WorkflowEngineOptions = {},
  ) {
    this.#store = store;
    this.#tenants = new TenantGuard(store);
    const cluster = isClusterClient(redis);
    this.#parts = assembleEngine(registry, store, redis, resolveEngineOptions(options, cluster));
  }

  // ── workflows ────────────────────────────────────────────────────────

  /**
   * Validates a definition (node types must be registered, or be the built-in `delay` and
   * `sub-workflow`; every node's config must match its type's config schema, each problem
   * an `INVALID_NODE_CONFIG` issue at `/nodes/<i>/config<pointer>`; cron schedules must
   * parse) and saves it. A
   * changed definition becomes a new version (its content hash); running executions keep
   * the version they started with. The workflow's webhook routes and cron schedules are
   * set to this definition's. A new workflow id past the tenant's `maxWorkflows` quota, or
   * more schedule triggers than its `maxSchedules` leaves room for, are refused (see the
   * `quotas` option).
   * @throws WorkflowValidationError | QuotaExceededError
   */
  async registerWorkflow(
    definition: WorkflowDefinition,
    scope: TenantScope = {},
  ): Promise<StoredWorkflow> {
    return this.#admit(() => this.#parts.catalogue.register(definition, scope));
  }

  getWorkflow(
    workflowId: string,
    scope: TenantScope & { version?: string } = {},
  ): Promise<StoredWorkflow | null> {
    return this.#store.getWorkflow(workflowId, scope);
  }

  listWorkflows(scope: TenantScope = {}): Promise<StoredWorkflow[]> {
    return this.#store.listWorkflows(scope);
  }

  listWorkflowVersions(workflowId: string, scope: TenantScope = {}): Promise<StoredWorkflow[]> {
    return this.#store.listWorkflowVersions(workflowId, scope);
  }

  /**
   * Removes a workflow from listings, its webhook routes and its schedules; running
   * executions finish on their version.
   */
  async unregisterWorkflow(workflowId: string, scope: TenantScope = {}): Promise<boolean> {
    return this.#admit(() => this.#parts.catalogue.unregister(workflowId, scope));
  }

  /**
   * The node types definitions may use: the built-in `delay` and `sub-workflow` (run by the
   * engine itself, `builtIn: true`), then this process's registered types in registration
   * order (a registered `delay` or `sub-workflow` is never used, so not listed), each with
   * its description, JSON Schemas and limits, as plain JSON.
   */
  listNodeTypes(): NodeTypeInfo[] {
    return this.#parts.catalogue.nodeTypes();
  }

  /**
   * The circuit breaker of each node type this process registered with a `breaker`:
   * `closed`, `open` (its jobs wait until `opensUntil`, then one probe runs) or `half-open`
   * (a probe runs; `opensUntil` ends its lease). Read from Redis, shared by every process.
   */
  getBreakerStates(): Promise<Record<string, BreakerStatus>> {
    return this.#parts.breakers.states();
  }

  // ── executions ───────────────────────────────────────────────────────

  /**
   * Starts an execution of the workflow's current version and returns its id. With an
   * `idempotencyKey` that was used before (in the same tenant), returns that execution's id,
   * after adding whatever of its jobs Redis lacks (a retry finishes a failed start).
   * Resolves once the first jobs are in Redis; rejects with EnqueueFailedError when nothing
   * of the start will run, EnqueueOutcomeUnknownError when that cannot be ensured (retry
   * with the same key), EngineClosedError after close(), QuotaExceededError when the
   * tenant has `maxActiveExecutions` active executions (nothing is created; a retry with
   * an idempotency key used in the last hour is let through).
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError | EngineClosedError | QuotaExceededError | EnqueueFailedError | EnqueueOutcomeUnknownError
   */
  async enqueueWorkflow(
    workflowId: string,
    initialData?: unknown,
    options: EnqueueOptions = {},
  ): Promise<string> {
    return this.#admit(() => this.#parts.starter.enqueue(workflowId, initialData, options));
  }

  /**
   * Starts several executions; ids are returned in request order. Every request is checked
   * before any execution is created; the executions' first jobs are added together (one
   * `addBulk` per queue), as are their workflow-timeout timers. All or nothing, as
   * `enqueueWorkflow` is for one: when the executions would take a tenant past its
   * `maxActiveExecutions`, none is created (QuotaExceededError).
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError | EngineClosedError | QuotaExceededError | EnqueueFailedError | EnqueueOutcomeUnknownError
   */
  async enqueueWorkflows(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]> {
    return this.#admit(() => this.#parts.starter.startMany(requests));
  }

  /**
   * Queues one node of an existing execution (for example a node left `pending` or
   * `cancelled` by a crash). Its input is computed from its parents' recorded results.
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError | InvalidTransitionError
   */
  async enqueueNode(
    executionId: string,
    workflowId: string,
    nodeId: string,
    scope?: TenantScope,
  ): Promise<void> {
    await this.#admit(async () => {
      await this.#tenants.requireExecution(executionId, scope);
      await this.#parts.control.enqueueNode(executionId, workflowId, nodeId);
    });
  }

  /** The whole state (with every node output), or null — also for another tenant's id. */
  async getExecution(executionId: string, scope?: TenantScope): Promise<ExecutionState | null> {
    const state = await this.#store.getExecution(executionId, tenantOf(scope));
    if (!state || !this.#tenants.owns(state, scope)) return null;
    return this.#parts.maps.withProgress(state);
  }

  /**
   * Why each unfinished node of the execution is not running, or what runs it: one
   * {@link ExecutionExplanation} read from the store and Redis as they are now (nothing is
   * changed). Per node (`pending`, `queued`, `running`, `delayed`, `waiting`) a typed
   * reason and a sentence: waiting for its parents; queued, with its position in its
   * queue; held by the workflow's `maxConcurrency` (and which runs hold the slots), its
   * type's rate limit or concurrency, or its type's open circuit breaker; the execution
   * paused; delayed; retrying; running (and whether its worker still holds the job);
   * waiting for its sub-workflow or a signal; or lost (the store says scheduled, Redis has
   * no job: reconcile re-adds it). A finished execution gives its status and no nodes.
   * @throws ExecutionNotFoundError (also for another tenant's execution)
   */
  async explain(executionId: string, scope?: TenantScope): Promise<ExecutionExplanation> {
    const state = await this.getExecution(executionId, scope);
    if (!state) throw new ExecutionNotFoundError(executionId);
    return this.#parts.explainer.explain(state);
  }

  /** The execution without node results and initial data (no node outputs read), or null. */
  getExecutionSummary(executionId: string, scope?: TenantScope): Promise<ExecutionSummary | null> {
    return this.#tenants.summary(executionId, scope);
  }

  listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    return this.#store.listExecutions(filter);
  }

  /**
   * Resolves with the execution's state once it is `completed`, `failed` or `cancelled`.
   * `options.timeoutMs` defaults to 60 000.
   * @throws ExecutionNotFoundError | SpaneError (code `TIMEOUT`) after `timeoutMs`
   */
  async waitForExecution(
    executionId: string,
    options: { timeoutMs?: number } = {},
    scope?: TenantScope,
  ): Promise<ExecutionState> {
    await this.#tenants.requireExecution(executionId, scope);
    return waitForExecution(this.#parts.waiter, executionId, options.timeoutMs ?? 60_000);
  }

  // ── pause, resume, cancel ────────────────────────────────────────────

  /**
   * After this returns no new node of the execution starts; running nodes finish and are
   * recorded. @throws ExecutionNotFoundError | InvalidTransitionError
   */
  async pauseWorkflow(executionId: string, scope?: TenantScope): Promise<void> {
    await this.#admit(async () => {
      await this.#tenants.requireExecution(executionId, scope);
      await this.#parts.control.pause(executionId);
    });
  }

  /** Continues a paused execution where it stopped. @throws ExecutionNotFoundError | InvalidTransitionError */
  async resumeWorkflow(executionId: string, scope?: TenantScope): Promise<void> {
    await this.#admit(async () => {
      await this.#tenants.requireExecution(executionId, scope);
      await this.#parts.control.resume(executionId);
    });
  }

  /**
   * After this returns no new node starts, running nodes have seen `signal` aborted and
   * left, and no job of the execution is left in Redis; child executions are cancelled too.
   * @throws ExecutionNotFoundError | InvalidTransitionError (e.g. the run already completed)
   */
  async cancelWorkflow(executionId: string, scope?: TenantScope): Promise<void> {
    await this.#admit(async () => {
      await this.#tenants.requireExecution(executionId, scope);
      await this.#parts.control.cancel(executionId);
    });
  }

  /** Cancels several executions; rejects with the first error after trying all. */
  async cancelWorkflows(executionIds: string[], scope?: TenantScope): Promise<void> {
    await settleAll(executionIds.map((id) => this.cancelWorkflow(id, scope)));
  }

  /** Pauses several executions; rejects with the first error after trying all. */
  async pauseWorkflows(executionIds: string[], scope?: TenantScope): Promise<void> {
    await settleAll(executionIds.map((id) => this.pauseWorkflow(id, scope)));
  }

  /** Resumes several executions; rejects with the first error after trying all. */
  async resumeWorkflows(executionIds: string[], scope?: TenantScope): Promise<void> {
    await settleAll(executionIds.map((id) => this.resumeWorkflow(id, scope)));
  }

  // ── dead letter queue ────────────────────────────────────────────────

  /** Dead-letter items of the tenant, newest first; `start`/`end` are inclusive indexes (a negative `end` counts from the last). */
  getDLQItems(start = 0, end = -1, scope: TenantScope = {}): Promise<DLQItem[]> {
    return dlqRange(this.#store, start, end, scope);
  }

  /** One dead-letter item of the tenant, or null. */
  getDLQItem(id: string, scope?: TenantScope): Promise<DLQItem | null> {
    return this.#tenants.dlqItem(id, scope);
  }

  /**
   * Runs a dead-lettered node again with a fresh set of attempts (a new retry budget;
   * `ctx.attempt` continues after the attempts already made). The execution returns to
   * `running` and, if the node succeeds, continues downstream to completion. The
   * execution takes a slot of the tenant's `maxActiveExecutions` again.
   * @throws DLQItemNotFoundError | InvalidTransitionError (the execution is no longer failed) | QuotaExceededError
   */
  async retryDLQItem(id: string, scope?: TenantScope): Promise<void> {
    await this.#admit(async () => {
      const item = await this.#tenants.requireDLQItem(id, scope);
      // The execution becomes active again: it takes a quota slot (one it holds counts once).
      const claim = [{ tenantId: item.tenantId ?? tenantOf(scope), executionId: item.executionId }];
      const { quota, control } = this.#parts;
      await quota.reserve(claim);
      try {
        await control.retryDLQItem(id);
      } catch (err) {
        const now = await this.#store.getExecutionSummary(item.executionId).catch(() => null);
        if (now && !['pending', 'running', 'paused'].includes(now.status)) {
          await quota.release(claim);
        }
        throw err;
      }
    });
  }

  // ── replay ───────────────────────────────────────────────────────────

  /**
   * Starts a new execution of the same workflow version as `executionId`, with its
   * `initialData`, priority and tenant, and `metadata.replayedFrom` set to it. With
   * `fromNodeId`, every node that is neither `fromNodeId` nor one of its descendants keeps
   * the original's recorded result (when it produced one: completed, or failed with
   * `continueOnFail`) without running; `fromNodeId` and everything downstream run again.
   * The reused results are recorded through the store's ordinary operations
   * (`beginNodeRun` + `completeNode`, in topological order) before any job is added, and
   * listed in `metadata.reusedNodes`. The original may be in any status.
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError (fromNodeId was skipped)
   */
  async replayWorkflow(
    executionId: string,
    options: { fromNodeId?: string } = {},
    scope?: TenantScope,
  ): Promise<string> {
    return this.#admit(async () => {
      await this.#tenants.requireExecution(executionId, scope);
      return this.#parts.replays.replay(executionId, options.fromNodeId);
    });
  }

  // ── signals ──────────────────────────────────────────────────────────

  /**
   * Sends the signal `name` to an execution of the scope's tenant: completes its
   * `wait-for-signal` node of that name with `payload` (undefined: null) as the node's
   * output — at once if it waits, else when it starts waiting (the signal is kept). The
   * first signal of a name wins: a second one, or one after the wait timed out or the
   * node or the execution finished, is refused. A paused execution keeps the signal; its
   * node completes after the resume.
   * @throws ExecutionNotFoundError | UnknownSignalError | SignalRejectedError |
   * PayloadTooLargeError | PayloadNotStorableError
   */
  async signal(
    executionId: string,
    name: string,
    payload?: unknown,
    scope?: TenantScope,
  ): Promise<void> {
    await this.#admit(() => this.#parts.signals.signal(executionId, name, payload, scope));
  }

  // ── triggers ─────────────────────────────────────────────────────────

  /**
   * Starts the current version of every workflow of the tenant (`scope`, default
   * `default`) with a webhook trigger on `path` and `method` (default POST); returns the
   * new execution ids. Webhook paths belong to a tenant: another tenant's trigger on the
   * same path is neither started nor consulted. `path` may have leading or trailing
   * slashes and a query string. `body` is the raw body (string or Buffer: parsed as JSON
   * when it looks like JSON, else passed as the string) or an already parsed value. Each
   * run's `initialData` is `{ body, headers, query? }` (header names lowercased; `query`
   * only when the path has a query string), its `metadata.trigger`
   * `{ type: 'webhook', method, path, deliveryId? }`.
   *
   * When a matching trigger has a `secret`, the delivery needs header `x-spane-delivery`
   * (1-128 characters of `A-Z a-z 0-9 _ - :`) and header `x-spane-signature:
   * t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<delivery id>.<raw body>")>` (see
   * `signWebhook`) with `t` within 5 minutes, for every matching workflow, or nothing
   * starts. A delivery id seen on the same tenant, method and path in the last 10 minutes
   * starts nothing. Past the tenant's `maxActiveExecutions` nothing starts (and the
   * delivery id is forgotten, so the sender may retry it).
   * @throws WebhookNotFoundError | InvalidSignatureError | DuplicateDeliveryError | InvalidArgumentError | QuotaExceededError
   */
  async triggerWebhook(
    path: string,
    method: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined> = {},
    scope: TenantScope = {},
  ): Promise<string[]> {
    return this.#admit(() => this.#parts.triggers.webhook(path, method, body, headers, scope));
  }

  /**
   * Starts the current version of every workflow of the tenant with an event trigger for
   * `name`, with `payload` as `initialData` and `metadata.trigger` `{ type: 'event', event }`;
   * returns the new execution ids (none when no workflow listens).
   * @throws InvalidArgumentError | PayloadTooLargeError | QuotaExceededError
   */
  async emitEvent(name: string, payload: unknown, scope: TenantScope = {}): Promise<string[]> {
    return this.#admit(() => this.#parts.triggers.event(name, payload, scope));
  }

  // ── recovery ─────────────────────────────────────────────────────────

  /**
   * Re-enqueues work the store says must exist but Redis lost (a flush, a failover
   * without persistence): nodes `queued`, `running` or `delayed` in pending or running
   * executions whose job is missing or sits in BullMQ's failed set (a job given up on for
   * stalling is recorded as the node's crash instead), and lost workflow timeouts. An
   * execution that cannot be repaired is logged and skipped (`skipped`), never stopping the
   * pass. Runs when workers start and every `reconcileIntervalMs`; safe to run in several
   * processes at once.
   */
  async reconcile(): Promise<ReconcileResult> {
    return this.#parts.reconciler.run();
  }

  // ── observability ────────────────────────────────────────────────────

  /**
   * Job counts of the node queues (shared by every tenant) and the dead-letter count of
   * the scope's tenant, or of every tenant without a scope.
   */
  async getQueueStats(scope?: TenantScope): Promise<QueueStats> {
    return this.#parts.observability.queueStats(scope);
  }

  /**
   * Checks Redis (a PING), the store (its `ping`) and this process's workers, each within
   * 2 s; a part the dependency monitor knows is down is reported down at once.
   */
  async checkHealth(): Promise<EngineHealth> {
    return this.#parts.observability.health(this.#parts.dependencies.status());
  }

  /**
   * Infrastructure faults this process met and handled since it started: store and Redis
   * calls retried, outcomes refused to runs that lost their node, runs stopped by a lost lock.
   */
  getFaultCounts(): EngineFaultCounts {
    return { ...this.#parts.faults };
  }

  /**
   * Whether Redis and the store answer, as this process's dependency monitor last saw
   * (pings every `dependencyCheckMs`, see the option); `@spane/http` consults it to answer
   * 503 `UNAVAILABLE` at once while a part a route needs is down.
   */
  get dependencies(): DependencyWatch {
    return this.#parts.dependencies;
  }

  /** The execution's log lines, in order. @throws ExecutionNotFoundError */
  async getLogs(executionId: string, scope?: TenantScope): Promise<LogEntry[]> {
    await this.#tenants.requireExecution(executionId, scope);
    return this.#store.getLogs(executionId);
  }

  /** The execution's spans, one per node attempt. @throws ExecutionNotFoundError */
  async getTrace(executionId: string, scope?: TenantScope): Promise<Span[]> {
    await this.#tenants.requireExecution(executionId, scope);
    return this.#store.getSpans(executionId);
  }

  /**
   * Listens to an engine event from any engine process sharing this prefix. Listeners are
   * called synchronously, in the order added. Returns a function that removes the listener.
   */
  on<E extends EngineEventName>(event: E, listener: EngineEventListener<E>): () => void {
    return this.#parts.events.on(event, listener);
  }

  // ── workers and shutdown ─────────────────────────────────────────────

  /**
   * Starts this process's workers: `concurrency` node runs at once (default 5), plus the
   * timer worker for workflow timeouts. Call once per engine.
   */
  async startWorkers(concurrency = 5): Promise<void> {
    // Node attempts open their spans synchronously: the API is looked for first.
    await this.#parts.tracing.ready();
    await this.#parts.lifecycle.startWorkers(concurrency);
  }

  /**
   * Stops taking work, lets running nodes finish for `shutdownGraceMs`, then aborts the
   * rest (their jobs go back to the queue and run again later), and closes connections.
   * Redis that does not answer is waited for 5 s more (then a warning is logged and the
   * connections it can drop are dropped), so close() always ends; it may be called at any
   * moment. From the call on, calls that change workflows or executions reject with
   * EngineClosedError before doing anything. The store is not closed: it belongs to the
   * caller.
   */
  close(): Promise<void> {
    this.#parts.dependencies.stop();
    return this.#parts.lifecycle.close().finally(() => this.#parts.tracing.close());
  }

  /** Runs a call that changes executions or workflows, unless the engine is closed. */
  #admit<T>(call: () => Promise<T>): Promise<T> {
    return this.#parts.admission.run(call);
  }
}
