import {
  assertPayloadSize,
  compileWorkflow,
  DEFAULT_LIMITS,
  DEFAULT_TENANT,
  type DLQItem,
  DLQItemNotFoundError,
  type EngineEventListener,
  type EngineEventMap,
  type EngineEventName,
  type EngineHealth,
  type EnqueueOptions,
  type ExecutionFilter,
  ExecutionNotFoundError,
  type ExecutionPage,
  type ExecutionState,
  type ExecutionStore,
  InvalidArgumentError,
  InvalidTransitionError,
  type IWorkflowEngine,
  isTerminalStatus,
  type LogEntry,
  NodeNotFoundError,
  type NodeRegistry,
  type QueueStats,
  type Span,
  SpaneError,
  type StoredWorkflow,
  type TenantScope,
  type WorkflowDefinition,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type ChannelMessage, EngineChannel } from './engine-channel.js';
import {
  type ResolvedEngineOptions,
  resolveEngineOptions,
  type WorkflowEngineOptions,
} from './engine-options.js';
import { type NodeJobData, nodeJobId, nodeJobName, timeoutJobId } from './node-jobs.js';
import { NodeProcessor, type RunningNodes } from './node-processor.js';
import { type ReconcileResult, reconcile } from './reconciler.js';

/** An ioredis instance, a redis:// URL, or ioredis options. */
export type RedisConnection = Redis | string | RedisOptions;

const NODE_QUEUE = 'nodes';
const CONTROL_QUEUE = 'control';
const TERMINAL_EVENTS = ['workflow:completed', 'workflow:failed', 'workflow:cancelled'] as const;

/**
 * Runs workflow DAGs on BullMQ: one job per node run, readiness decided by the store's
 * atomic operations, state in the given {@link ExecutionStore}. Any number of engine
 * processes may share one Redis (same `prefix`) and one store.
 */
export class WorkflowEngine implements IWorkflowEngine {
  readonly #registry: NodeRegistry;
  readonly #store: ExecutionStore;
  readonly #options: ResolvedEngineOptions;
  readonly #redis: Redis;
  readonly #ownsRedis: boolean;
  readonly #workerConnection: Redis;
  readonly #nodeQueue: Queue<NodeJobData>;
  readonly #controlQueue: Queue<{ e: string }>;
  readonly #channel: EngineChannel;
  readonly #plans = new Map<string, WorkflowPlan>();
  readonly #listeners = new Map<EngineEventName, Set<(payload: any) => void>>();
  readonly #running: RunningNodes = new Map();
  readonly #processor: NodeProcessor;
  #workers: Worker[] = [];
  #reconcileTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    registry: NodeRegistry,
    store: ExecutionStore,
    redis: RedisConnection,
    options: WorkflowEngineOptions = {},
  ) {
    this.#registry = registry;
    this.#store = store;
    this.#options = resolveEngineOptions(options);
    if (redis instanceof Redis) {
      this.#redis = redis;
      this.#ownsRedis = false;
    } else {
      this.#redis = typeof redis === 'string' ? new Redis(redis) : new Redis(redis);
      this.#ownsRedis = true;
    }
    this.#redis.on('error', (err: Error) =>
      this.#options.logger.warn('redis error', { error: err.message }),
    );
    this.#workerConnection = this.#redis.duplicate({ maxRetriesPerRequest: null });
    this.#workerConnection.on('error', () => {});
    const prefix = this.#options.prefix;
    // BullMQ's per-queue event stream is capped: the engine's own events go over pub/sub.
    const streams = { events: { maxLen: 1_000 } };
    this.#nodeQueue = new Queue<NodeJobData>(NODE_QUEUE, {
      connection: this.#redis,
      prefix,
      streams,
    });
    this.#controlQueue = new Queue<{ e: string }>(CONTROL_QUEUE, {
      connection: this.#redis,
      prefix,
      streams,
    });
    this.#nodeQueue.on('error', (err) =>
      this.#options.logger.warn('queue error', { error: err.message }),
    );
    this.#controlQueue.on('error', (err) =>
      this.#options.logger.warn('queue error', { error: err.message }),
    );
    this.#channel = new EngineChannel(
      prefix,
      this.#redis,
      () => this.#redis.duplicate(),
      this.#options.logger,
    );
    this.#channel.onMessage((m) => this.#onChannelMessage(m));
    this.#processor = new NodeProcessor({
      registry,
      store,
      options: this.#options,
      running: this.#running,
      getPlan: (tenantId, workflowId, version) => this.#getPlan(tenantId, workflowId, version),
      cachedPlan: (tenantId, workflowId, version) =>
        this.#plans.get(planKey(tenantId, workflowId, version)),
      enqueueNodes: (plan, executionId, nodeIds, tenantId, priority) =>
        this.#enqueueNodes(plan, executionId, nodeIds, tenantId, { priority }),
      emit: (name, payload) => this.#emit(name, payload),
      abortExecution: (executionId) =>
        this.#channel.publish({ kind: 'abort', executionId, reason: 'failed' }),
      onExecutionFinished: (executionId, plan) => this.#onExecutionFinished(executionId, plan),
      parkedKey: (executionId) => this.#parkedKey(executionId),
      redis: this.#redis,
    });
  }

  // ── workflows ────────────────────────────────────────────────────────

  /**
   * Validates a definition (node types must be registered) and saves it. A changed
   * definition becomes a new version; running executions keep the version they started with.
   * @throws WorkflowValidationError
   */
  async registerWorkflow(
    definition: WorkflowDefinition,
    scope: TenantScope = {},
  ): Promise<StoredWorkflow> {
    const plan = compileWorkflow(definition, {
      limits: this.#options.limits,
      isNodeTypeKnown: (type) => this.#registry.has(type),
    });
    const { workflow } = await this.#store.saveWorkflow(plan, scope);
    this.#plans.set(planKey(workflow.tenantId, plan.workflowId, plan.version), plan);
    return workflow;
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

  /** Removes a workflow from listings; running executions finish on their version. */
  unregisterWorkflow(workflowId: string, scope: TenantScope = {}): Promise<boolean> {
    return this.#store.deleteWorkflow(workflowId, scope);
  }

  async #getPlan(tenantId: string, workflowId: string, version: string): Promise<WorkflowPlan> {
    const key = planKey(tenantId, workflowId, version);
    const cached = this.#plans.get(key);
    if (cached) return cached;
    const stored = await this.#store.getWorkflow(workflowId, { tenantId, version });
    if (!stored) throw new WorkflowNotFoundError(workflowId, version);
    const plan = compileWorkflow(stored.definition, { limits: this.#options.limits });
    this.#plans.set(key, plan);
    return plan;
  }

  // ── executions ───────────────────────────────────────────────────────

  /**
   * Starts an execution of the workflow's current version and returns its id. With an
   * `idempotencyKey` that was used before (in the same tenant), returns that execution's id.
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError
   */
  async enqueueWorkflow(
    workflowId: string,
    initialData?: unknown,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const delay = startDelay(options);
    if (
      options.priority !== undefined &&
      !(
        Number.isInteger(options.priority) &&
        options.priority >= 1 &&
        options.priority <= 2_097_152
      )
    ) {
      throw new InvalidArgumentError('priority must be an integer from 1 (highest) to 2097152');
    }
    const limits = { ...DEFAULT_LIMITS, ...this.#options.limits };
    assertPayloadSize('initialData', initialData, limits.maxPayloadBytes);
    const tenantId = options.tenantId ?? DEFAULT_TENANT;
    const stored = await this.#store.getWorkflow(workflowId, { tenantId });
    if (!stored) throw new WorkflowNotFoundError(workflowId);
    const plan = await this.#getPlan(tenantId, workflowId, stored.version);
    const input: Parameters<ExecutionStore['createExecution']>[0] = { plan, tenantId, initialData };
    if (options.idempotencyKey !== undefined) input.idempotencyKey = options.idempotencyKey;
    if (options.priority !== undefined) input.priority = options.priority;
    const { execution, created, ready } = await this.#store.createExecution(input);
    if (!created) return execution.executionId;
    // The timer and the event go out before the first job: once a node can run, its
    // events (from any engine) must follow `workflow:started`, and a run that finishes at
    // once must find its timeout job there to remove.
    if (plan.definition.timeoutMs !== undefined) {
      await this.#armTimeout(execution.executionId, delay + plan.definition.timeoutMs);
    }
    this.#emit('workflow:started', this.#executionEvent(execution));
    await this.#enqueueNodes(plan, execution.executionId, ready, tenantId, {
      priority: options.priority,
      delay,
    });
    return execution.executionId;
  }

  /** Starts several executions; ids are returned in request order. */
  async enqueueWorkflows(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]> {
    if (!Array.isArray(requests)) throw new InvalidArgumentError('requests must be an array');
    return Promise.all(
      requests.map((r) => this.enqueueWorkflow(r.workflowId, r.initialData, r.options)),
    );
  }

  /**
   * Queues one node of an existing execution (for example a node left `pending` or
   * `cancelled` by a crash). Its input is computed from its parents' recorded results;
   * an `inputData` override is not supported yet and is refused.
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError | InvalidTransitionError
   */
  async enqueueNode(
    executionId: string,
    workflowId: string,
    nodeId: string,
    inputData?: unknown,
  ): Promise<void> {
    if (inputData !== undefined) {
      throw new InvalidArgumentError(
        'enqueueNode does not take inputData yet: a node reads its input from its parents',
      );
    }
    const execution = await this.#requireExecution(executionId);
    if (execution.workflowId !== workflowId) {
      throw new InvalidArgumentError(
        `execution '${executionId}' is not of workflow '${workflowId}'`,
      );
    }
    const plan = await this.#getPlan(execution.tenantId, workflowId, execution.workflowVersion);
    if (!plan.nodes.has(nodeId)) throw new NodeNotFoundError(nodeId, `workflow '${workflowId}'`);
    if (!(await this.#store.setNodeStatus(executionId, nodeId, 'queued'))) {
      throw new InvalidTransitionError(
        execution.nodeResults[nodeId]?.status ?? 'unknown',
        'queued',
        `node '${nodeId}'`,
      );
    }
    await this.#enqueueNodes(plan, executionId, [nodeId], execution.tenantId, {
      priority: execution.priority,
    });
  }

  async #enqueueNodes(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
    tenantId: string,
    opts: {
      priority?: number | undefined;
      delay?: number;
      /** Attempts a node already made (its next attempt is numbered after them). */
      baseAttempts?: Record<string, number>;
      /** Give the job only the attempts its policy has left after `baseAttempts` (recovery), not a fresh set (DLQ retry). */
      continueAttempts?: boolean;
    },
  ): Promise<void> {
    if (nodeIds.length === 0) return;
    const jobs = nodeIds.map((nodeId) => {
      const data: NodeJobData = {
        e: executionId,
        w: plan.workflowId,
        v: plan.version,
        n: nodeId,
        t: tenantId,
      };
      const base = opts.baseAttempts?.[nodeId] ?? 0;
      if (base > 0) data.a0 = base;
      const maxAttempts = this.#processor.maxAttempts(plan, nodeId);
      const jobOpts: JobsOptions = {
        jobId: nodeJobId(executionId, nodeId),
        attempts: opts.continueAttempts ? Math.max(1, maxAttempts - base) : maxAttempts,
        backoff: { type: 'spane' },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      };
      if (opts.priority !== undefined) jobOpts.priority = opts.priority;
      if (opts.delay) jobOpts.delay = opts.delay;
      return { name: nodeJobName(plan, nodeId), data, opts: jobOpts };
    });
    if (jobs.length === 1) await this.#nodeQueue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
    else await this.#nodeQueue.addBulk(jobs);
  }

  getExecution(executionId: string): Promise<ExecutionState | null> {
    return this.#store.getExecution(executionId);
  }

  listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    return this.#store.listExecutions(filter);
  }

  async #requireExecution(executionId: string): Promise<ExecutionState> {
    const execution = await this.#store.getExecution(executionId);
    if (!execution) throw new ExecutionNotFoundError(executionId);
    return execution;
  }

  /**
   * Resolves with the execution's state once it is `completed`, `failed` or `cancelled`.
   * @throws ExecutionNotFoundError | SpaneError (code `TIMEOUT`) after `timeoutMs`
   */
  async waitForExecution(
    executionId: string,
    options: { timeoutMs?: number } = {},
  ): Promise<ExecutionState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    await this.#channel.open();
    return new Promise<ExecutionState>((resolve, reject) => {
      let settled = false;
      const offs: (() => void)[] = [];
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        for (const off of offs) off();
        clearTimeout(timer);
        clearInterval(recheck);
        fn();
      };
      const check = (): void => {
        this.#store.getExecution(executionId).then(
          (state) => {
            if (!state) finish(() => reject(new ExecutionNotFoundError(executionId)));
            else if (isTerminalStatus(state.status)) finish(() => resolve(state));
          },
          // A store that is briefly unreachable (a database restart) is not the end of
          // the wait: the next event or re-check reads again, until the timeout.
          (err: unknown) =>
            this.#options.logger.warn('waitForExecution: store read failed', {
              executionId,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
      };
      for (const name of TERMINAL_EVENTS) {
        offs.push(this.on(name, (p) => p.executionId === executionId && check()));
      }
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new SpaneError(
                'TIMEOUT',
                `execution '${executionId}' did not finish within ${timeoutMs} ms`,
              ),
            ),
          ),
        timeoutMs,
      );
      // A lost pub/sub message must not leave a waiter hanging: re-read the state now and then.
      const recheck = setInterval(check, Math.min(5_000, Math.max(250, timeoutMs / 4)));
      check();
    });
  }

  // ── pause, resume, cancel ────────────────────────────────────────────

  /**
   * After this returns no new node of the execution starts; running nodes finish and are
   * recorded. @throws ExecutionNotFoundError | InvalidTransitionError
   */
  async pauseWorkflow(executionId: string): Promise<void> {
    const state = await this.#store.setExecutionStatus(executionId, 'paused');
    this.#emit('workflow:paused', this.#executionEvent(state));
  }

  /** Continues a paused execution where it stopped. @throws ExecutionNotFoundError | InvalidTransitionError */
  async resumeWorkflow(executionId: string): Promise<void> {
    const state = await this.#store.setExecutionStatus(executionId, 'running');
    await this.#releaseParked(state);
    this.#emit('workflow:resumed', this.#executionEvent(state));
  }

  /** Wakes the jobs workers parked while the execution was paused, and re-adds lost ones. */
  async #releaseParked(state: ExecutionState): Promise<void> {
    const key = this.#parkedKey(state.executionId);
    const parked = await this.#redis.smembers(key);
    await Promise.all(parked.map((id) => this.#processor.wake(this.#nodeQueue, id)));
    await this.#redis.del(key);
    const queued = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'queued')
      .map(([id]) => id);
    const missing: string[] = [];
    for (const nodeId of queued) {
      if ((await this.#nodeQueue.getJobState(nodeJobId(state.executionId, nodeId))) === 'unknown')
        missing.push(nodeId);
    }
    if (missing.length > 0) {
      const plan = await this.#getPlan(state.tenantId, state.workflowId, state.workflowVersion);
      await this.#enqueueNodes(plan, state.executionId, missing, state.tenantId, {
        priority: state.priority,
      });
    }
  }

  /**
   * After this returns no new node starts, running nodes have seen `signal` aborted and
   * left, and no job of the execution is left in Redis; child executions are cancelled too.
   * @throws ExecutionNotFoundError | InvalidTransitionError (e.g. the run already completed)
   */
  async cancelWorkflow(executionId: string): Promise<void> {
    await this.#cancel(executionId);
  }

  /** Cancels several executions; rejects with the first error after trying all. */
  async cancelWorkflows(executionIds: string[]): Promise<void> {
    await settleAll(executionIds.map((id) => this.#cancel(id)));
  }

  /** Pauses several executions; rejects with the first error after trying all. */
  async pauseWorkflows(executionIds: string[]): Promise<void> {
    await settleAll(executionIds.map((id) => this.pauseWorkflow(id)));
  }

  /** Resumes several executions; rejects with the first error after trying all. */
  async resumeWorkflows(executionIds: string[]): Promise<void> {
    await settleAll(executionIds.map((id) => this.resumeWorkflow(id)));
  }

  async #cancel(executionId: string, error?: string): Promise<void> {
    const options = error === undefined ? {} : { error };
    const state = await this.#store.setExecutionStatus(executionId, 'cancelled', options);
    this.#channel.publish({ kind: 'abort', executionId, reason: 'cancelled' });
    this.#abortLocal(executionId, 'cancelled');
    await this.#removeJobs(state);
    const payload: EngineEventMap['workflow:cancelled'] = this.#executionEvent(state);
    if (error !== undefined) payload.reason = error;
    this.#emit('workflow:cancelled', payload);
    await this.#appendLog(
      state,
      'warn',
      error === undefined ? 'execution cancelled' : `execution cancelled: ${error}`,
    );
    const children = await this.#store.listExecutions({
      parentExecutionId: executionId,
      status: ['pending', 'running', 'paused'],
      limit: 1000,
    });
    await settleAll(
      children.items.map((c) => this.#cancel(c.executionId).catch(ignoreInvalidTransition)),
    );
  }

  /** Removes every job of a finished execution, waiting (bounded) for running ones to leave. */
  async #removeJobs(state: ExecutionState): Promise<void> {
    await this.#controlQueue.remove(timeoutJobId(state.executionId)).catch(() => 0);
    await this.#redis.del(this.#parkedKey(state.executionId));
    const nodeIds = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'cancelled')
      .map(([nodeId]) => nodeId);
    const pending = await this.#removeNodeJobs(state.executionId, nodeIds);
    if (pending.length > 0) {
      this.#options.logger.warn('jobs still running after cancel', {
        executionId: state.executionId,
        jobs: pending,
      });
    }
  }

  /**
   * Removes the jobs of the given nodes, waiting (at most `shutdownGraceMs`) for running
   * ones to leave. Returns the ids of jobs still there at the deadline.
   */
  async #removeNodeJobs(executionId: string, nodeIds: readonly string[]): Promise<string[]> {
    const deadline = Date.now() + this.#options.shutdownGraceMs;
    let pending = nodeIds.map((nodeId) => nodeJobId(executionId, nodeId));
    while (pending.length > 0) {
      const left: string[] = [];
      for (const id of pending) {
        const removed = await this.#nodeQueue.remove(id).catch(() => 0);
        if (removed === 1) continue;
        const jobState = await this.#nodeQueue.getJobState(id);
        if (jobState !== 'unknown') left.push(id);
      }
      pending = left;
      if (pending.length === 0 || Date.now() > deadline) break;
      // Running jobs were told to abort and leave at once; give them a moment.
      await new Promise((r) => setTimeout(r, 20));
    }
    return pending;
  }

  #abortLocal(executionId: string, reason: 'cancelled' | 'failed'): void {
    for (const run of this.#running.get(executionId) ?? []) run.abort(reason);
  }

  async #onExecutionFinished(executionId: string, plan: WorkflowPlan): Promise<void> {
    if (plan.definition.timeoutMs !== undefined) {
      await this.#controlQueue.remove(timeoutJobId(executionId)).catch(() => 0);
    }
  }

  async #onWorkflowTimeout(executionId: string): Promise<void> {
    try {
      await this.#cancel(executionId, 'TIMEOUT');
    } catch (err) {
      ignoreInvalidTransition(err);
    }
  }

  // ── dead letter queue ────────────────────────────────────────────────

  /** Dead-letter items, newest first; `start`/`end` are inclusive indexes. */
  getDLQItems(start = 0, end = -1, scope: TenantScope = {}): Promise<DLQItem[]> {
    return this.#store.listDLQItems({ ...scope, start, end });
  }

  /**
   * Runs a dead-lettered node again with a fresh set of attempts. The execution returns to
   * `running` and, if the node succeeds, continues downstream to completion.
   * @throws DLQItemNotFoundError | InvalidTransitionError (the execution is no longer failed)
   */
  async retryDLQItem(id: string): Promise<void> {
    const item = await this.#store.getDLQItem(id);
    if (!item) throw new DLQItemNotFoundError(id);
    const before = await this.#requireExecution(item.executionId);
    const revived = await this.#store.retryFailedNode(item.executionId, item.nodeId);
    if (!revived) throw new InvalidTransitionError(before.status, 'running');
    await this.#store.removeDLQItem(id);
    const plan = await this.#getPlan(before.tenantId, before.workflowId, before.workflowVersion);
    const baseAttempts: Record<string, number> = {};
    for (const nodeId of revived.ready) {
      baseAttempts[nodeId] = before.nodeResults[nodeId]?.attempts ?? 0;
    }
    // The failed run's jobs may still be finishing (the failure is recorded, and its
    // event heard, before the job leaves Redis); a job id that still exists would make
    // the re-add below a no-op and strand the node in `queued`.
    const stuck = await this.#removeNodeJobs(item.executionId, revived.ready);
    if (stuck.length > 0) {
      this.#options.logger.warn('jobs of a retried execution still running', {
        executionId: item.executionId,
        jobs: stuck,
      });
    }
    await this.#enqueueNodes(plan, item.executionId, revived.ready, before.tenantId, {
      priority: before.priority,
      baseAttempts,
    });
    await this.#appendLog(
      before,
      'info',
      `retrying node '${item.nodeId}' from the dead letter queue`,
    );
  }

  // ── not built yet ────────────────────────────────────────────────────

  /** Not built yet (tracked by the flow-control issue). @throws SpaneError */
  async replayWorkflow(_executionId: string, _options?: { fromNodeId?: string }): Promise<string> {
    throw new InvalidArgumentError('replayWorkflow is not available yet');
  }

  /** Not built yet (tracked by the flow-control issue). @throws SpaneError */
  async triggerWebhook(): Promise<string[]> {
    throw new InvalidArgumentError('webhook triggers are not available yet');
  }

  /** Not built yet (tracked by the flow-control issue). @throws SpaneError */
  async emitEvent(): Promise<string[]> {
    throw new InvalidArgumentError('event triggers are not available yet');
  }

  /** Schedules the workflow-timeout check of an execution. */
  async #armTimeout(executionId: string, delayMs: number): Promise<void> {
    await this.#controlQueue.add(
      'timeout',
      { e: executionId },
      {
        jobId: timeoutJobId(executionId),
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  // ── recovery ─────────────────────────────────────────────────────────

  /**
   * Re-enqueues work the store says must exist but Redis lost (a flush, a failover
   * without persistence): nodes `queued`, `running` or `delayed` in pending or running
   * executions whose job is missing, and lost workflow timeouts. Runs when workers start
   * and every `reconcileIntervalMs`; safe to run in several processes at once.
   */
  reconcile(): Promise<ReconcileResult> {
    return reconcile({
      store: this.#store,
      nodeQueue: this.#nodeQueue,
      controlQueue: this.#controlQueue,
      logger: this.#options.logger,
      getPlan: (t, w, v) => this.#getPlan(t, w, v),
      enqueueNodes: (plan, executionId, nodeIds, tenantId, opts) =>
        this.#enqueueNodes(plan, executionId, nodeIds, tenantId, opts),
      armTimeout: (executionId, delayMs) => this.#armTimeout(executionId, delayMs),
    });
  }

  #startReconciler(): void {
    const every = this.#options.reconcileIntervalMs;
    if (every <= 0) return;
    let running = false;
    this.#reconcileTimer = setInterval(() => {
      if (running || this.#closing) return;
      running = true;
      this.reconcile()
        .catch((err: Error) =>
          this.#options.logger.warn('reconcile failed', { error: err.message }),
        )
        .finally(() => {
          running = false;
        });
    }, every);
    this.#reconcileTimer.unref();
  }

  // ── observability ────────────────────────────────────────────────────

  async getQueueStats(): Promise<QueueStats> {
    const counts = await this.#nodeQueue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
      'paused',
      'prioritized',
    );
    const dlq = await this.#store.listDLQItems({});
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      paused: counts.paused ?? 0,
      prioritized: counts.prioritized ?? 0,
      dlq: dlq.length,
    };
  }

  /** Checks Redis (a PING), the store (a read) and this process's workers, each within 2 s. */
  async checkHealth(): Promise<EngineHealth> {
    const within = <T>(p: Promise<T>): Promise<T> =>
      Promise.race([
        p,
        new Promise<T>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), 2_000).unref(),
        ),
      ]);
    const [redis, store] = await Promise.all([
      within(this.#redis.ping()).then(
        (r) => r === 'PONG',
        () => false,
      ),
      within(this.#store.getExecution('health-check')).then(
        () => true,
        () => false,
      ),
    ]);
    const workers =
      this.#workers.length === 0
        ? null
        : !this.#closing && this.#workers.every((w) => w.isRunning());
    return { ok: redis && store && workers !== false, redis, store, workers };
  }

  getLogs(executionId: string): Promise<LogEntry[]> {
    return this.#store.getLogs(executionId);
  }

  getTrace(executionId: string): Promise<Span[]> {
    return this.#store.getSpans(executionId);
  }

  /**
   * Listens to an engine event from any engine process sharing this prefix. Listeners are
   * called synchronously, in the order added. Returns a function that removes the listener.
   */
  on<E extends EngineEventName>(event: E, listener: EngineEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    void this.#channel.open();
    return () => set.delete(listener);
  }

  #emit<E extends EngineEventName>(name: E, payload: EngineEventMap[E]): void {
    this.#channel.publish({ kind: 'event', name, payload });
  }

  #onChannelMessage(message: ChannelMessage): void {
    if (message.kind === 'abort') {
      this.#abortLocal(message.executionId, message.reason);
      return;
    }
    for (const listener of this.#listeners.get(message.name) ?? []) {
      try {
        listener(message.payload);
      } catch (err) {
        this.#options.logger.error('event listener threw', {
          event: message.name,
          error: (err as Error).message,
        });
      }
    }
  }

  #executionEvent(state: Pick<ExecutionState, 'executionId' | 'workflowId' | 'tenantId'>) {
    return {
      executionId: state.executionId,
      workflowId: state.workflowId,
      tenantId: state.tenantId,
      timestamp: new Date().toISOString(),
    };
  }

  async #appendLog(
    state: ExecutionState,
    level: LogEntry['level'],
    message: string,
  ): Promise<void> {
    await this.#store.appendLogs([
      { executionId: state.executionId, level, message, timestamp: new Date().toISOString() },
    ]);
  }

  #parkedKey(executionId: string): string {
    return `${this.#options.prefix}:parked:${executionId}`;
  }

  // ── workers and shutdown ─────────────────────────────────────────────

  /**
   * Starts this process's workers: `concurrency` node runs at once (default 5), plus the
   * timer worker for workflow timeouts. Call once per engine.
   */
  async startWorkers(concurrency = 5): Promise<void> {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError('concurrency must be a positive integer');
    }
    if (this.#workers.length > 0) throw new InvalidArgumentError('workers are already started');
    if (this.#closing) throw new InvalidArgumentError('the engine is closed');
    await this.#channel.open();
    const prefix = this.#options.prefix;
    const nodeWorker = new Worker<NodeJobData>(
      NODE_QUEUE,
      (job, token) => this.#processor.process(job, token),
      {
        connection: this.#workerConnection,
        prefix,
        concurrency,
        lockDuration: this.#options.lockDurationMs,
        stalledInterval: this.#options.stalledIntervalMs,
        maxStalledCount: this.#options.maxStalledCount,
        settings: {
          backoffStrategy: (attemptsMade, _type, _err, job) =>
            this.#processor.backoff(attemptsMade, job as Job | undefined),
        },
      },
    );
    nodeWorker.on('failed', (job, err) => {
      if (job) void this.#processor.onJobGivenUp(job, err);
    });
    nodeWorker.on('error', (err) =>
      this.#options.logger.warn('worker error', { error: err.message }),
    );
    const controlWorker = new Worker<{ e: string }>(
      CONTROL_QUEUE,
      async (job) => {
        if (job.name === 'timeout') await this.#onWorkflowTimeout(job.data.e);
      },
      { connection: this.#workerConnection, prefix, concurrency: 5 },
    );
    controlWorker.on('error', (err) =>
      this.#options.logger.warn('worker error', { error: err.message }),
    );
    this.#workers = [nodeWorker, controlWorker];
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
    await this.reconcile().catch((err: Error) =>
      this.#options.logger.warn('reconcile failed', { error: err.message }),
    );
    this.#startReconciler();
  }

  /**
   * Stops taking work, lets running nodes finish for `shutdownGraceMs`, then aborts the
   * rest (their jobs go back to the queue and run again later), and closes connections.
   * The store is not closed: it belongs to the caller.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#reconcileTimer);
    const closing = Promise.all(this.#workers.map((w) => w.close()));
    const grace = new Promise<'timeout'>((r) =>
      setTimeout(() => r('timeout'), this.#options.shutdownGraceMs).unref(),
    );
    if ((await Promise.race([closing.then(() => 'done' as const), grace])) === 'timeout') {
      for (const runs of this.#running.values()) for (const run of runs) run.abort('shutdown');
      await closing;
    }
    await this.#channel.close();
    await this.#nodeQueue.close();
    await this.#controlQueue.close();
    await this.#workerConnection.quit().catch(() => this.#workerConnection.disconnect());
    if (this.#ownsRedis) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

function planKey(tenantId: string, workflowId: string, version: string): string {
  return `${tenantId}\u0000${workflowId}\u0000${version}`;
}

function startDelay(options: EnqueueOptions): number {
  if (options.delayMs !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError('give delayMs or runAt, not both');
  }
  if (options.delayMs !== undefined) {
    if (!Number.isFinite(options.delayMs) || options.delayMs < 0) {
      throw new InvalidArgumentError('delayMs must be a non-negative number');
    }
    return Math.floor(options.delayMs);
  }
  if (options.runAt !== undefined) {
    const at = options.runAt instanceof Date ? options.runAt.getTime() : Date.parse(options.runAt);
    if (Number.isNaN(at)) throw new InvalidArgumentError('runAt must be a date');
    return Math.max(0, at - Date.now());
  }
  return 0;
}

function ignoreInvalidTransition(err: unknown): void {
  if (!(err instanceof InvalidTransitionError)) throw err;
}

async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
