import {
  assertPayloadSize,
  type CreateExecutionResult,
  compileWorkflow,
  DEFAULT_LIMITS,
  DEFAULT_TENANT,
  type DLQItem,
  DLQItemNotFoundError,
  DuplicateDeliveryError,
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
  type NodeOutcome,
  type NodeRegistry,
  type QueueStats,
  type Span,
  SpaneError,
  type StoredWorkflow,
  type TenantScope,
  WebhookNotFoundError,
  type WorkflowDefinition,
  WorkflowNotFoundError,
  type WorkflowPlan,
  WorkflowValidationError,
} from '@spane/core';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { BUILT_IN_NODE_TYPES, validateBuiltInNodes } from './built-in-nodes.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import {
  type ControlJobData,
  SCHEDULE_JOB,
  type ScheduleJobData,
  TIMEOUT_JOB,
  type TimeoutJobData,
  timeoutJob,
  timeoutJobId,
} from './control-jobs.js';
import { type ChannelMessage, EngineChannel } from './engine-channel.js';
import {
  type ResolvedEngineOptions,
  resolveEngineOptions,
  type WorkflowEngineOptions,
} from './engine-options.js';
import { Handoffs } from './handoffs.js';
import type { EnqueueNodeOptions } from './node-enqueuer.js';
import { type NodeJobData, nodeJobId, nodeJobName } from './node-jobs.js';
import { NodeQueues } from './node-queues.js';
import { NodeRunner } from './node-runner.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { ParkedJobs } from './parked-jobs.js';
import { type ReconcileResult, reconcile } from './reconciler.js';
import {
  CONTROL_QUEUE,
  NODE_QUEUE,
  RedisKeys,
  scheduleIdempotencyKey,
  webhookIdempotencyKey,
} from './redis-keys.js';
import { reusableOutcomes } from './replay.js';
import { RetryPolicies } from './retry-policies.js';
import { RunningNodes } from './running-nodes.js';
import { Schedules, validateSchedules } from './schedules.js';
import { SUB_WORKFLOW_NODE, SubWorkflows } from './sub-workflow-node.js';
import { UnstartedJobs } from './unstarted-jobs.js';
import {
  DELIVERY_HEADER,
  normaliseHeaders,
  parseWebhookBody,
  routeKey,
  SIGNATURE_HEADER,
  splitWebhookPath,
  verifyWebhookSignature,
  WebhookRoutes,
  webhookTriggers,
} from './webhook-triggers.js';

/** An ioredis instance, a redis:// URL, or ioredis options. */
export type RedisConnection = Redis | string | RedisOptions;

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
  readonly #keys: RedisKeys;
  readonly #redis: Redis;
  readonly #ownsRedis: boolean;
  readonly #onRedisError = (err: Error): void =>
    this.#options.logger.warn('redis error', { error: err.message });
  readonly #workerConnection: Redis;
  readonly #queues: NodeQueues;
  readonly #controlQueue: Queue<ControlJobData>;
  readonly #webhooks: WebhookRoutes;
  readonly #schedules: Schedules;
  readonly #channel: EngineChannel;
  readonly #plans = new Map<string, WorkflowPlan>();
  readonly #listeners = new Map<EngineEventName, Set<(payload: any) => void>>();
  readonly #runs: RunningNodes;
  readonly #runner: NodeRunner;
  readonly #retry: RetryPolicies;
  readonly #parked: ParkedJobs;
  readonly #handoffs: Handoffs;
  readonly #subflows: SubWorkflows;
  readonly #gate: ConcurrencyGate;
  #workers: Worker[] = [];
  #reconcileTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  /** Aborted when close() is called. */
  readonly #closed = new AbortController();

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
    this.#redis.on('error', this.#onRedisError);
    this.#workerConnection = this.#redis.duplicate({ maxRetriesPerRequest: null });
    this.#workerConnection.on('error', () => {});
    const prefix = this.#options.prefix;
    this.#keys = new RedisKeys(prefix);
    // BullMQ's per-queue event stream is capped: the engine's own events go over pub/sub.
    const streams = { events: { maxLen: 1_000 } };
    this.#queues = new NodeQueues(registry, this.#redis, prefix, this.#options.logger);
    this.#controlQueue = new Queue<ControlJobData>(CONTROL_QUEUE, {
      connection: this.#redis,
      prefix,
      streams,
    });
    this.#controlQueue.on('error', (err) =>
      this.#options.logger.warn('queue error', { error: err.message }),
    );
    this.#webhooks = new WebhookRoutes(this.#redis, this.#keys);
    this.#schedules = new Schedules(this.#controlQueue, this.#redis, this.#keys);
    this.#channel = new EngineChannel(
      this.#keys,
      this.#redis,
      () => this.#redis.duplicate(),
      this.#options.logger,
    );
    this.#channel.onMessage((m) => this.#onChannelMessage(m));
    this.#gate = new ConcurrencyGate({
      redis: this.#redis,
      keys: this.#keys,
      queues: this.#queues,
      logger: this.#options.logger,
      slotTtlMs: Math.max(60_000, 4 * this.#options.lockDurationMs),
      refreshMs: this.#options.lockDurationMs,
    });
    this.#handoffs = new Handoffs({
      registry,
      queues: this.#queues,
      aborts: this.#channel,
    });
    const plans = {
      getPlan: (t: string, w: string, v: string) => this.#getPlan(t, w, v),
      cachedPlan: (t: string, w: string, v: string) => this.#plans.get(planKey(t, w, v)),
    };
    this.#retry = new RetryPolicies({ registry, defaultRetry: this.#options.defaultRetry, plans });
    this.#runs = new RunningNodes({ handoffs: this.#handoffs });
    this.#parked = new ParkedJobs({
      store,
      redis: this.#redis,
      keys: this.#keys,
      queues: this.#queues,
    });
    const enqueuer = {
      enqueueNodes: (
        plan: WorkflowPlan,
        executionId: string,
        nodeIds: readonly string[],
        tenantId: string,
        opts: EnqueueNodeOptions,
      ) => this.#enqueueNodes(plan, executionId, nodeIds, tenantId, opts),
    };
    const events = {
      emit: <E extends EngineEventName>(name: E, payload: EngineEventMap[E]) =>
        this.#emit(name, payload),
    };
    const recorder = new OutcomeRecorder({
      store,
      events,
      enqueuer,
      handoffs: this.#handoffs,
      channel: this.#channel,
      finisher: {
        executionFinished: (executionId, plan, status, maybeChild) =>
          this.#onExecutionFinished(executionId, plan, status, maybeChild),
      },
    });
    const limits = { ...DEFAULT_LIMITS, ...this.#options.limits };
    this.#subflows = new SubWorkflows({
      store,
      redis: this.#redis,
      keys: this.#keys,
      logger: this.#options.logger,
      maxDepth: limits.maxDepth,
      maxPayloadBytes: limits.maxPayloadBytes,
      plans,
      launcher: {
        launch: (plan, execution, ready, opts) => this.#launch(plan, execution, ready, opts),
      },
      canceller: {
        cancelChild: (executionId) => this.#cancel(executionId).catch(ignoreInvalidTransition),
      },
      waitingNodes: recorder,
    });
    const unstarted = new UnstartedJobs({
      store,
      parked: this.#parked,
      subWorkflows: this.#subflows,
      enqueuer,
    });
    this.#runner = new NodeRunner({
      registry,
      store,
      plans,
      gate: this.#gate,
      handoffs: this.#handoffs,
      runs: this.#runs,
      recorder,
      unstarted,
      subWorkflows: this.#subflows,
      retry: this.#retry,
      events,
      logger: this.#options.logger,
      maxPayloadBytes: limits.maxPayloadBytes,
    });
  }

  // ── workflows ────────────────────────────────────────────────────────

  /**
   * Validates a definition (node types must be registered, or be the built-in `delay` and
   * `sub-workflow`, whose configs are checked; cron schedules must parse) and saves it. A
   * changed definition becomes a new version (its content hash); running executions keep
   * the version they started with. The workflow's webhook routes and cron schedules are
   * set to this definition's.
   * @throws WorkflowValidationError
   */
  async registerWorkflow(
    definition: WorkflowDefinition,
    scope: TenantScope = {},
  ): Promise<StoredWorkflow> {
    const plan = compileWorkflow(definition, {
      limits: this.#options.limits,
      isNodeTypeKnown: (type) => BUILT_IN_NODE_TYPES.has(type) || this.#registry.has(type),
    });
    const issues = [
      ...validateBuiltInNodes(plan.definition),
      ...validateSchedules(plan.definition),
    ];
    if (issues.length > 0) throw new WorkflowValidationError(issues);
    const { workflow } = await this.#store.saveWorkflow(plan, scope);
    this.#plans.set(planKey(workflow.tenantId, plan.workflowId, plan.version), plan);
    await this.#syncTriggers(workflow.tenantId, plan.workflowId, plan.definition);
    return workflow;
  }

  /** Points a workflow's webhook routes and cron schedulers at `definition` (none when null). */
  async #syncTriggers(
    tenantId: string,
    workflowId: string,
    definition: WorkflowDefinition | null,
  ): Promise<void> {
    await this.#webhooks.sync(tenantId, workflowId, definition);
    await this.#schedules.sync(tenantId, workflowId, definition);
  }

  /**
   * Rebuilds webhook routes and schedulers from the store's current workflows of every
   * tenant (the store is the source of truth; Redis holds a copy the engine can look up
   * per request): repairs them after Redis lost them, or after a registration raced
   * another one. Runs when workers start.
   */
  async #resyncTriggers(): Promise<void> {
    const owners = [...(await this.#webhooks.owners()), ...(await this.#schedules.owners())];
    const current = await this.#store.listWorkflows({ allTenants: true });
    const live = new Set(current.map((w) => `${w.tenantId}\u0000${w.workflowId}`));
    for (const w of current) await this.#syncTriggers(w.tenantId, w.workflowId, w.definition);
    for (const o of owners) {
      if (!live.has(`${o.tenantId}\u0000${o.workflowId}`)) {
        await this.#syncTriggers(o.tenantId, o.workflowId, null);
      }
    }
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
    const deleted = await this.#store.deleteWorkflow(workflowId, scope);
    await this.#syncTriggers(scope.tenantId ?? DEFAULT_TENANT, workflowId, null);
    return deleted;
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
    return this.#start(await this.#prepareStart(workflowId, initialData, options));
  }

  /** Checks a start request and resolves the plan of the workflow's current version. */
  async #prepareStart(
    workflowId: string,
    initialData: unknown,
    options: EnqueueOptions = {},
    metadata?: Record<string, unknown>,
  ): Promise<PreparedStart> {
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
    if (metadata !== undefined) input.metadata = metadata;
    return { plan, input, delay };
  }

  /** Creates and launches one prepared execution; returns its id. */
  async #start(prepared: PreparedStart): Promise<string> {
    // Entry nodes a free worker here will run start with the execution (no begin write).
    const ticket = this.#handoffs.startableEntries(prepared.plan, prepared.delay > 0);
    const input = ticket ? { ...prepared.input, start: ticket.nodes } : prepared.input;
    let result: CreateExecutionResult;
    try {
      result = await this.#store.createExecution(input);
    } finally {
      ticket?.release();
    }
    const { execution, created, ready, started } = result;
    if (created) {
      if (ticket && started && started.length > 0) {
        this.#handoffs.handOffEntries(prepared.plan, execution, started, ticket);
      }
      await this.#launch(prepared.plan, execution, ready, {
        announce: true,
        delay: prepared.delay,
      });
    }
    return execution.executionId;
  }

  /**
   * Makes a new execution run: arms its workflow timeout and emits `workflow:started`
   * (when `announce`), then enqueues its ready nodes.
   */
  async #launch(
    plan: WorkflowPlan,
    execution: ExecutionState,
    ready: readonly string[],
    opts: { announce: boolean; delay: number },
  ): Promise<void> {
    // The timer and the event go out before the first job: once a node can run, its
    // events (from any engine) must follow `workflow:started`, and a run that finishes at
    // once must find its timeout job there to remove.
    if (opts.announce) {
      if (plan.definition.timeoutMs !== undefined) {
        await this.#armTimeout(execution.executionId, opts.delay + plan.definition.timeoutMs);
      }
      this.#emit('workflow:started', this.#executionEvent(execution));
    }
    await this.#enqueueNodes(plan, execution.executionId, ready, execution.tenantId, {
      priority: execution.priority,
      delay: opts.delay,
    });
  }

  /**
   * Starts several executions; ids are returned in request order. Every request is checked
   * before any execution is created; the executions' first jobs are added together (one
   * `addBulk` per queue), as are their workflow-timeout timers.
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError
   */
  async enqueueWorkflows(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]> {
    if (!Array.isArray(requests)) throw new InvalidArgumentError('requests must be an array');
    const prepared = await Promise.all(
      requests.map((r) => this.#prepareStart(r.workflowId, r.initialData, r.options)),
    );
    const results = await Promise.all(prepared.map((p) => this.#store.createExecution(p.input)));
    const timers: ReturnType<typeof timeoutJob>[] = [];
    const jobs: NodeJob[] = [];
    results.forEach(({ execution, created, ready }, i) => {
      if (!created) return;
      const { plan, delay } = prepared[i]!;
      if (plan.definition.timeoutMs !== undefined) {
        timers.push(this.#timeoutJob(execution.executionId, delay + plan.definition.timeoutMs));
      }
      jobs.push(
        ...this.#nodeJobs(plan, execution.executionId, ready, execution.tenantId, {
          priority: execution.priority,
          delay,
        }),
      );
    });
    // As in #launch: timers and workflow:started go out before the first job.
    if (timers.length > 0) await this.#controlQueue.addBulk(timers);
    for (const { execution, created } of results) {
      if (created) this.#emit('workflow:started', this.#executionEvent(execution));
    }
    await this.#addJobs(jobs);
    return results.map((r) => r.execution.executionId);
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
    opts: EnqueueNodeOptions,
  ): Promise<void> {
    await this.#addJobs(this.#nodeJobs(plan, executionId, nodeIds, tenantId, opts));
  }

  /** Adds node jobs with one round trip per queue they go to (`addBulk`). */
  async #addJobs(jobs: readonly NodeJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const byQueue = new Map<string, NodeJob[]>();
    for (const job of jobs) {
      const list = byQueue.get(job.queue);
      if (list) list.push(job);
      else byQueue.set(job.queue, [job]);
    }
    await Promise.all(
      [...byQueue].map(([name, list]) => {
        const queue = this.#queues.get(name);
        if (list.length === 1) return queue.add(list[0]!.name, list[0]!.data, list[0]!.opts);
        return queue.addBulk(list.map(({ name: n, data, opts }) => ({ name: n, data, opts })));
      }),
    );
  }

  /** The jobs that run the given nodes of an execution. */
  #nodeJobs(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
    tenantId: string,
    opts: EnqueueNodeOptions,
  ): NodeJob[] {
    return nodeIds.map((nodeId) => {
      const data: NodeJobData = {
        executionId,
        workflowId: plan.workflowId,
        workflowVersion: plan.version,
        nodeId,
        tenantId,
      };
      const base = opts.baseAttempts?.[nodeId] ?? 0;
      if (base > 0) data.attemptsBefore = base;
      const maxAttempts = this.#retry.maxAttempts(plan, nodeId);
      const jobOpts: JobsOptions = {
        jobId: nodeJobId(executionId, nodeId),
        attempts: opts.continueAttempts ? Math.max(1, maxAttempts - base) : maxAttempts,
        backoff: { type: 'spane' },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      };
      if (opts.priority !== undefined) jobOpts.priority = opts.priority;
      if (opts.delay) jobOpts.delay = opts.delay;
      const queue = this.#queues.nameForType(plan.nodes.get(nodeId)?.type ?? '');
      return { queue, name: nodeJobName(plan, nodeId), data, opts: jobOpts };
    });
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
   * `options.timeoutMs` defaults to 60 000.
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
    this.#handoffs.drop(executionId);
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
    const plan = await this.#getPlan(state.tenantId, state.workflowId, state.workflowVersion);
    await this.#parked.wakeAll(state.executionId, plan);
    const queued = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'queued')
      .map(([id]) => id);
    const missing: string[] = [];
    for (const nodeId of queued) {
      const jobId = nodeJobId(state.executionId, nodeId);
      if ((await this.#queues.forNode(plan, nodeId).getJobState(jobId)) === 'unknown')
        missing.push(nodeId);
    }
    if (missing.length > 0) {
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
    await this.#cancelChildren(state);
    // A cancelled sub-workflow fails the node that waits for it.
    if (state.parentExecutionId !== undefined) await this.#subflows.onFinished(executionId);
  }

  /** Cancels the unfinished child executions (sub-workflows) of an execution. */
  async #cancelChildren(state: Pick<ExecutionState, 'executionId' | 'tenantId'>): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.#store.listExecutions({
        tenantId: state.tenantId,
        parentExecutionId: state.executionId,
        status: ['pending', 'running', 'paused'],
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      cursor = page.nextCursor;
      await settleAll(
        page.items.map((c) => this.#cancel(c.executionId).catch(ignoreInvalidTransition)),
      );
    } while (cursor !== undefined);
  }

  /** Removes every job of a finished execution, waiting (bounded) for running ones to leave. */
  async #removeJobs(state: ExecutionState): Promise<void> {
    await this.#controlQueue.remove(timeoutJobId(state.executionId)).catch(() => 0);
    await this.#parked.forget(state.executionId);
    const nodeIds = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'cancelled')
      .map(([nodeId]) => nodeId);
    const plan = await this.#getPlan(state.tenantId, state.workflowId, state.workflowVersion);
    const pending = await this.#removeNodeJobs(plan, state.executionId, nodeIds);
    // Removed jobs give back their maxConcurrency slots and places in line.
    await this.#gate.forget(
      plan,
      state.tenantId,
      nodeIds
        .filter((nodeId) => !pending.includes(nodeJobId(state.executionId, nodeId)))
        .map((nodeId) => ({
          queue: this.#queues.forNode(plan, nodeId).name,
          jobId: nodeJobId(state.executionId, nodeId),
        })),
    );
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
  async #removeNodeJobs(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
  ): Promise<string[]> {
    const deadline = Date.now() + this.#options.shutdownGraceMs;
    let pending = [...nodeIds];
    while (pending.length > 0) {
      const left: string[] = [];
      for (const nodeId of pending) {
        const id = nodeJobId(executionId, nodeId);
        const queue = this.#queues.forNode(plan, nodeId);
        const removed = await queue.remove(id).catch(() => 0);
        if (removed === 1) continue;
        const jobState = await queue.getJobState(id);
        if (jobState !== 'unknown') left.push(nodeId);
      }
      pending = left;
      if (pending.length === 0 || Date.now() > deadline) break;
      // Running jobs were told to abort and leave at once; give them a moment.
      await new Promise((r) => setTimeout(r, 20));
    }
    return pending.map((nodeId) => nodeJobId(executionId, nodeId));
  }

  #abortLocal(executionId: string, reason: 'cancelled' | 'failed'): void {
    this.#runs.abortExecution(executionId, reason);
  }

  async #onExecutionFinished(
    executionId: string,
    plan: WorkflowPlan,
    status: 'completed' | 'failed',
    maybeChild: boolean,
  ): Promise<void> {
    if (plan.definition.timeoutMs !== undefined) {
      await this.#controlQueue.remove(timeoutJobId(executionId)).catch(() => 0);
    }
    if (status === 'failed' && plan.definition.nodes.some((n) => n.type === SUB_WORKFLOW_NODE)) {
      // A failed run does not wait for its sub-workflows.
      const state = await this.#store.getExecution(executionId);
      if (state) {
        await this.#cancelChildren(state).catch((err: Error) =>
          this.#options.logger.warn('could not cancel sub-workflows', { error: err.message }),
        );
      }
    }
    // Errors here are thrown: the job that finished the execution then runs again and
    // tells the parent from there.
    if (maybeChild) await this.#subflows.onFinished(executionId);
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
   * Runs a dead-lettered node again with a fresh set of attempts (a new retry budget;
   * `ctx.attempt` continues after the attempts already made). The execution returns to
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
    const stuck = await this.#removeNodeJobs(plan, item.executionId, revived.ready);
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
  ): Promise<string> {
    const original = await this.#requireExecution(executionId);
    const plan = await this.#getPlan(
      original.tenantId,
      original.workflowId,
      original.workflowVersion,
    );
    const from = options.fromNodeId;
    let reuse = new Map<string, NodeOutcome>();
    if (from !== undefined) {
      if (!plan.nodes.has(from)) throw new NodeNotFoundError(from, `workflow '${plan.workflowId}'`);
      if (original.nodeResults[from]?.status === 'skipped') {
        throw new InvalidArgumentError(
          `node '${from}' was skipped in execution '${executionId}': a replay from it would skip it too`,
        );
      }
      reuse = reusableOutcomes(plan, original, from);
    }
    const metadata: Record<string, unknown> = { replayedFrom: executionId };
    if (from !== undefined) {
      metadata.replayedFromNode = from;
      metadata.reusedNodes = [...reuse.keys()];
    }
    const input: Parameters<ExecutionStore['createExecution']>[0] = {
      plan,
      tenantId: original.tenantId,
      initialData: original.initialData,
      metadata,
    };
    if (original.priority !== undefined) input.priority = original.priority;
    const { execution, ready } = await this.#store.createExecution(input);
    const replayId = execution.executionId;

    const queued = new Set(ready);
    const skipped: { nodeId: string; reason: EngineEventMap['node:skipped']['reason'] }[] = [];
    let finishedAs: string | undefined;
    for (const nodeId of plan.order) {
      const outcome = reuse.get(nodeId);
      if (!outcome || !queued.has(nodeId)) continue;
      const begun = await this.#store.beginNodeRun(plan, replayId, nodeId, 1);
      if (!begun.started) break;
      const r = await this.#store.completeNode(plan, replayId, nodeId, outcome);
      queued.delete(nodeId);
      for (const id of r.ready) queued.add(id);
      skipped.push(...r.skipped);
      if (r.finished) finishedAs = r.executionStatus;
    }
    if (reuse.size > 0) {
      await this.#store.appendLogs([
        {
          executionId: replayId,
          level: 'info',
          message: `replay of execution '${executionId}' from node '${from}': reused the results of ${[...reuse.keys()].join(', ')}`,
          timestamp: new Date().toISOString(),
        },
      ]);
    }
    await this.#launch(plan, execution, finishedAs ? [] : [...queued], {
      announce: true,
      delay: 0,
    });
    const timestamp = new Date().toISOString();
    for (const s of skipped) {
      this.#emit('node:skipped', {
        ...this.#executionEvent(execution),
        nodeId: s.nodeId,
        nodeType: plan.nodes.get(s.nodeId)?.type ?? 'unknown',
        reason: s.reason,
        timestamp,
      });
    }
    if (finishedAs === 'completed') {
      this.#emit('workflow:completed', this.#executionEvent(execution));
      await this.#onExecutionFinished(replayId, plan, 'completed', false);
    }
    return replayId;
  }

  // ── triggers ─────────────────────────────────────────────────────────

  /**
   * Starts the current version of every workflow (of any tenant) with a webhook trigger on
   * `path` and `method` (default POST); returns the new execution ids. `path` may have
   * leading or trailing slashes and a query string. `body` is the raw body (string or
   * Buffer: parsed as JSON when it looks like JSON, else passed as the string) or an
   * already parsed value. Each run's `initialData` is `{ body, headers, query? }`
   * (header names lowercased; `query` only when the path has a query string), its
   * `metadata.trigger` `{ type: 'webhook', method, path, deliveryId? }`.
   *
   * When a matching trigger has a `secret`, header `x-spane-signature:
   * t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` must match with `t`
   * within 5 minutes, for every matching workflow, or nothing starts. A delivery id in
   * header `x-spane-delivery` that was seen in the last 10 minutes starts nothing.
   * @throws WebhookNotFoundError | InvalidSignatureError | DuplicateDeliveryError
   */
  async triggerWebhook(
    path: string,
    method: string,
    body: unknown,
    headers: Record<string, string | string[] | undefined> = {},
  ): Promise<string[]> {
    const { path: clean, query } = splitWebhookPath(path);
    const verb = (method || 'POST').toUpperCase();
    const route = routeKey(verb, clean);
    const matches: { tenantId: string; workflowId: string; secret?: string }[] = [];
    for (const target of await this.#webhooks.lookup(verb, clean)) {
      // The route index may lag a registration: the current definition has the last word.
      const stored = await this.#store.getWorkflow(target.workflowId, {
        tenantId: target.tenantId,
      });
      const trigger = stored && webhookTriggers(stored.definition).find((w) => w.key === route);
      if (!trigger) continue;
      matches.push(
        trigger.trigger.secret === undefined
          ? target
          : { ...target, secret: trigger.trigger.secret },
      );
    }
    if (matches.length === 0) throw new WebhookNotFoundError(clean, verb);
    const h = normaliseHeaders(headers);
    const first = (name: string) => {
      const v = h[name];
      return Array.isArray(v) ? v[0] : v;
    };
    for (const m of matches) {
      if (m.secret !== undefined) verifyWebhookSignature(m.secret, body, first(SIGNATURE_HEADER));
    }
    const deliveryId = first(DELIVERY_HEADER);
    if (deliveryId !== undefined && !(await this.#webhooks.claimDelivery(route, deliveryId))) {
      throw new DuplicateDeliveryError(deliveryId);
    }
    const initialData: Record<string, unknown> = { body: parseWebhookBody(body, h), headers: h };
    if (query !== undefined) initialData.query = query;
    const trigger: Record<string, unknown> = { type: 'webhook', method: verb, path: clean };
    if (deliveryId !== undefined) trigger.deliveryId = deliveryId;
    try {
      const prepared = await Promise.all(
        matches.map((m) =>
          this.#prepareStart(
            m.workflowId,
            initialData,
            deliveryId === undefined
              ? { tenantId: m.tenantId }
              : {
                  tenantId: m.tenantId,
                  // A sender retrying a delivery that failed half-way gets the same runs.
                  idempotencyKey: webhookIdempotencyKey(m.workflowId, route, deliveryId),
                },
            { trigger },
          ),
        ),
      );
      return await Promise.all(prepared.map((p) => this.#start(p)));
    } catch (err) {
      if (deliveryId !== undefined) await this.#webhooks.forgetDelivery(route, deliveryId);
      throw err;
    }
  }

  /**
   * Starts the current version of every workflow of the tenant with an event trigger for
   * `name`, with `payload` as `initialData` and `metadata.trigger` `{ type: 'event', event }`;
   * returns the new execution ids (none when no workflow listens).
   * @throws InvalidArgumentError | PayloadTooLargeError
   */
  async emitEvent(name: string, payload: unknown, scope: TenantScope = {}): Promise<string[]> {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError('event name must be a non-empty string');
    }
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const listening = (await this.#store.listWorkflows({ tenantId })).filter((w) =>
      (w.definition.triggers ?? []).some((t) => t.type === 'event' && t.event === name),
    );
    const prepared = await Promise.all(
      listening.map((w) =>
        this.#prepareStart(
          w.workflowId,
          payload,
          { tenantId },
          {
            trigger: { type: 'event', event: name },
          },
        ),
      ),
    );
    return Promise.all(prepared.map((p) => this.#start(p)));
  }

  /** A schedule fired (once per slot, in one process): start the workflow's current version. */
  async #onSchedule(job: Job<ScheduleJobData>): Promise<void> {
    const { workflowId, tenantId, schedulerId, initialData } = job.data;
    const slot = Schedules.slotOf(job);
    try {
      const prepared = await this.#prepareStart(
        workflowId,
        initialData,
        // The slot's key: a firing job re-run after a crash starts nothing new.
        { tenantId, idempotencyKey: scheduleIdempotencyKey(schedulerId, slot) },
        { trigger: { type: 'schedule', schedulerId, at: new Date(slot).toISOString() } },
      );
      await this.#start(prepared);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The workflow is gone but its scheduler was left behind (a race): remove it.
      await this.#controlQueue.removeJobScheduler(schedulerId);
    }
  }

  /** Schedules the workflow-timeout check of an execution. */
  async #armTimeout(executionId: string, delayMs: number): Promise<void> {
    const job = this.#timeoutJob(executionId, delayMs);
    await this.#controlQueue.add(job.name, job.data, job.opts);
  }

  #timeoutJob(executionId: string, delayMs: number) {
    return timeoutJob(executionId, delayMs);
  }

  // ── recovery ─────────────────────────────────────────────────────────

  /**
   * Re-enqueues work the store says must exist but Redis lost (a flush, a failover
   * without persistence): nodes `queued`, `running` or `delayed` in pending or running
   * executions whose job is missing, and lost workflow timeouts. Runs when workers start
   * and every `reconcileIntervalMs`; safe to run in several processes at once.
   */
  async reconcile(): Promise<ReconcileResult> {
    const result = await reconcile({
      store: this.#store,
      queueFor: (plan, nodeId) => this.#queues.forNode(plan, nodeId),
      controlQueue: this.#controlQueue,
      logger: this.#options.logger,
      getPlan: (t, w, v) => this.#getPlan(t, w, v),
      enqueueNodes: (plan, executionId, nodeIds, tenantId, opts) =>
        this.#enqueueNodes(plan, executionId, nodeIds, tenantId, opts),
      armTimeout: (executionId, delayMs) => this.#armTimeout(executionId, delayMs),
    });
    result.subWorkflowsChecked = await this.#subflows.sweep();
    result.concurrencyWaitersWoken = await this.#gate.drain();
    return result;
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
    const perQueue = await Promise.all(
      this.#queues
        .all()
        .map((q) =>
          q.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'completed',
            'failed',
            'paused',
            'prioritized',
          ),
        ),
    );
    const counts: Record<string, number> = {};
    for (const c of perQueue) {
      for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
    }
    const dlq = await this.#store.listDLQItems({ allTenants: true });
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
    const [redis, store] = await Promise.all([
      within(this.#redis.ping(), 2_000).then(
        (r) => r === 'PONG',
        () => false,
      ),
      within(this.#store.getExecution('health-check'), 2_000).then(
        (r) => r !== TIMED_OUT,
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
    this.#channel.open(event.startsWith('node:')).catch((err: Error) =>
      this.#options.logger.warn('could not subscribe to engine events yet', {
        error: err.message,
      }),
    );
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
    if (message.name === 'workflow:paused') {
      // Paused elsewhere: a run handed to this process begins in the store, which parks it.
      this.#handoffs.drop((message.payload as { executionId: string }).executionId);
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
    // Redis may not answer (yet): a close() meanwhile ends the wait.
    await this.#whileOpen(this.#channel.open());
    const prefix = this.#options.prefix;
    const workers = [this.#nodeWorker(NODE_QUEUE, concurrency)];
    this.#handoffs.setSlots(concurrency);
    // Node types with limits have a queue of their own: BullMQ applies a queue's global
    // concurrency and rate limit across every worker of every process.
    for (const reg of this.#queues.limitedTypes()) {
      const queue = this.#queues.forType(reg.type);
      const { rateLimit, concurrency: typeConcurrency } = reg.options;
      if (typeConcurrency !== undefined) await queue.setGlobalConcurrency(typeConcurrency);
      else await queue.removeGlobalConcurrency();
      if (rateLimit !== undefined) {
        await queue.setGlobalRateLimit(rateLimit.max, rateLimit.durationMs);
      } else await queue.removeGlobalRateLimit();
      workers.push(
        this.#nodeWorker(
          queue.name,
          Math.min(concurrency, typeConcurrency ?? concurrency),
          rateLimit && { max: rateLimit.max, duration: rateLimit.durationMs },
        ),
      );
    }
    const controlWorker = new Worker<ControlJobData>(
      CONTROL_QUEUE,
      async (job) => {
        if (job.name === TIMEOUT_JOB) {
          await this.#onWorkflowTimeout((job.data as TimeoutJobData).executionId);
        } else if (job.name === SCHEDULE_JOB) await this.#onSchedule(job as Job<ScheduleJobData>);
      },
      { connection: this.#workerConnection, prefix, concurrency: 5 },
    );
    controlWorker.on('error', (err) =>
      this.#options.logger.warn('worker error', { error: err.message }),
    );
    this.#workers = [...workers, controlWorker];
    await this.#whileOpen(Promise.all(this.#workers.map((w) => w.waitUntilReady())));
    await this.#resyncTriggers().catch((err: Error) =>
      this.#options.logger.warn('could not rebuild triggers', { error: err.message }),
    );
    await this.reconcile().catch((err: Error) =>
      this.#options.logger.warn('reconcile failed', { error: err.message }),
    );
    this.#startReconciler();
  }

  #nodeWorker(
    queueName: string,
    concurrency: number,
    limiter?: { max: number; duration: number },
  ): Worker<NodeJobData> {
    const worker = new Worker<NodeJobData>(
      queueName,
      (job, token) => this.#runner.process(job, token),
      {
        connection: this.#workerConnection,
        prefix: this.#options.prefix,
        concurrency,
        lockDuration: this.#options.lockDurationMs,
        stalledInterval: this.#options.stalledIntervalMs,
        maxStalledCount: this.#options.maxStalledCount,
        ...(limiter === undefined ? {} : { limiter }),
        settings: {
          backoffStrategy: (attemptsMade, _type, _err, job) =>
            this.#retry.backoff(attemptsMade, job as Job | undefined),
        },
      },
    );
    worker.on('failed', (job, err) => {
      if (job) void this.#runner.onJobGivenUp(job, err);
    });
    worker.on('error', (err) => this.#options.logger.warn('worker error', { error: err.message }));
    return worker;
  }

  /**
   * Stops taking work, lets running nodes finish for `shutdownGraceMs`, then aborts the
   * rest (their jobs go back to the queue and run again later), and closes connections.
   * Redis that does not answer is waited for 5 s more (then a warning is logged and the
   * connections it can drop are dropped), so close() always ends. The store is not closed:
   * it belongs to the caller.
   */
  close(): Promise<void> {
    this.#closed.abort();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `promise`, or an InvalidArgumentError('the engine is closed') once close() is called. */
  #whileOpen<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#closed.signal;
    return new Promise<T>((resolve, reject) => {
      const closed = () => reject(new InvalidArgumentError('the engine is closed'));
      if (signal.aborted) closed();
      signal.addEventListener('abort', closed, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', closed));
    });
  }

  async #close(): Promise<void> {
    clearInterval(this.#reconcileTimer);
    this.#handoffs.setSlots(0);
    const closing = Promise.all(this.#workers.map((w) => w.close()));
    if ((await within(settled(closing), this.#options.shutdownGraceMs)) === TIMED_OUT) {
      this.#runs.abortAll('shutdown');
    }
    // The rest only needs Redis: the aborted nodes' jobs go back to the queue, connections
    // close. Redis that does not answer in time (down, unreachable) is not waited for any
    // longer, so that close() ends — a job never handed back runs again after its lock
    // expires.
    const rest = (async () => {
      await closing;
      await this.#channel.close();
      await this.#queues.close();
      await this.#controlQueue.close();
      await this.#workerConnection.quit().catch(() => this.#workerConnection.disconnect());
      if (this.#ownsRedis) await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    if ((await within(settled(rest), CLOSE_REDIS_MS)) === TIMED_OUT) {
      this.#options.logger.warn('Redis did not answer while closing; close() gave up waiting', {
        waitedMs: CLOSE_REDIS_MS,
      });
      this.#channel.disconnect();
      if (this.#ownsRedis) this.#redis.disconnect();
      // The workers' connection stays: BullMQ retries a failed hand-back at once, without
      // end, while its worker closes, so a dropped connection would spin a core. It keeps
      // reconnecting, hands the jobs back once Redis answers, and then quits.
    } else {
      await rest;
    }
    // A connection the caller owns keeps no listener of this engine.
    if (!this.#ownsRedis) this.#redis.off('error', this.#onRedisError);
  }
}

/** How long `close()` waits for Redis once the running nodes finished or were aborted. */
const CLOSE_REDIS_MS = 5_000;

const TIMED_OUT = Symbol('timed out');

/** `promise`'s outcome, or TIMED_OUT if it has not settled after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves when `promise` settles, whatever its outcome. */
function settled(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => {},
    () => {},
  );
}

/** A checked start request: the plan to run and the store input to create it with. */
interface PreparedStart {
  plan: WorkflowPlan;
  input: Parameters<ExecutionStore['createExecution']>[0];
  delay: number;
}

/** One node job to add, and the name of the queue it goes to. */
interface NodeJob {
  queue: string;
  name: string;
  data: NodeJobData;
  opts: JobsOptions;
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
