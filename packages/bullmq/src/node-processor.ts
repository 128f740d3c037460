import {
  type BeginNodeRunResult,
  type CompleteNodeResult,
  DEFAULT_LIMITS,
  DepthLimitExceededError,
  type EngineEventMap,
  type EngineEventName,
  type ExecutionContext,
  type ExecutionResult,
  type ExecutionStore,
  isTerminalStatus,
  type LogEntry,
  type NodeLogger,
  type NodeRegistry,
  type NodeTelemetry,
  NodeTimeoutError,
  NonRetryableError,
  PayloadTooLargeError,
  payloadText,
  planNode,
  resolveRetryPolicy,
  retryDelayMs,
  type Span,
  SpaneError,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { DelayedError, type Job, type Queue, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import { BUILT_IN_NODE_TYPES } from './built-in-nodes.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import { DELAY_NODE, type DelayNodeConfig, delayWakeTime } from './delay-node.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import type { Handoffs, ParentRun } from './handoffs.js';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import { NODE_QUEUE } from './redis-keys.js';
import { type NodeRef, SUB_WORKFLOW_NODE, WAITING } from './sub-workflow-node.js';

/** Why a running node was told to stop. */
export type AbortKind = 'cancelled' | 'failed' | 'shutdown' | 'timeout';

/** A node run in this process that can be aborted. */
export interface RunHandle {
  abort(kind: AbortKind): void;
}

/** Node runs in this process, by execution id. */
export type RunningNodes = Map<string, Set<RunHandle>>;

export interface NodeProcessorDeps {
  registry: NodeRegistry;
  store: ExecutionStore;
  options: ResolvedEngineOptions;
  running: RunningNodes;
  redis: Redis;
  queues: NodeQueues;
  gate: ConcurrencyGate;
  getPlan(tenantId: string, workflowId: string, version: string): Promise<WorkflowPlan>;
  cachedPlan(tenantId: string, workflowId: string, version: string): WorkflowPlan | undefined;
  enqueueNodes(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
    tenantId: string,
    priority: number | undefined,
  ): Promise<void>;
  emit<E extends EngineEventName>(name: E, payload: EngineEventMap[E]): void;
  abortExecution(executionId: string): void;
  /**
   * After an execution completed or failed. `maybeChild`: it may be a sub-workflow whose
   * parent node waits (a failure to tell that parent is thrown, so the job runs again).
   */
  onExecutionFinished(
    executionId: string,
    plan: WorkflowPlan,
    status: 'completed' | 'failed',
    maybeChild: boolean,
  ): Promise<void>;
  /** A job of an execution that is already finished ran: tell its parent node if it has one. */
  onFinishedExecutionJob(executionId: string): Promise<void>;
  startSubWorkflow(
    plan: WorkflowPlan,
    node: NodeRef,
    begun: Extract<BeginNodeRunResult, { started: true }>,
    attempt: number,
  ): Promise<ExecutionResult | typeof WAITING>;
  parkedKey(executionId: string): string;
  handoffs: Handoffs;
}

/** A paused execution's jobs wait this long before they look again (resume wakes them at once). */
const PARK_MS = 6 * 60 * 60 * 1000;

type Settled =
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted'; abort: AbortKind };

/** One node attempt's abort controller, timer and registration in {@link RunningNodes}. */
class NodeRun implements RunHandle {
  readonly controller = new AbortController();
  kind: AbortKind | undefined;
  readonly #running: RunningNodes;
  readonly #executionId: string;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly aborted: Promise<AbortKind>;
  #resolveAborted!: (kind: AbortKind) => void;

  constructor(
    running: RunningNodes,
    executionId: string,
    nodeId: string,
    timeoutMs: number | undefined,
  ) {
    this.#running = running;
    this.#executionId = executionId;
    this.aborted = new Promise((r) => {
      this.#resolveAborted = r;
    });
    let set = running.get(executionId);
    if (!set) {
      set = new Set();
      running.set(executionId, set);
    }
    set.add(this);
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () => this.abort('timeout', new NodeTimeoutError(nodeId, timeoutMs)),
        timeoutMs,
      );
    }
  }

  abort(kind: AbortKind, reason?: Error): void {
    if (this.kind) return;
    this.kind = kind;
    const why =
      reason ??
      new SpaneError(
        'INVALID_ARGUMENT',
        kind === 'shutdown' ? 'worker shutting down' : `execution ${kind}`,
      );
    why.name = kind === 'timeout' ? why.name : 'AbortError';
    this.controller.abort(why);
    this.#resolveAborted(kind);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    const set = this.#running.get(this.#executionId);
    set?.delete(this);
    if (set && set.size === 0) this.#running.delete(this.#executionId);
  }
}

/**
 * Runs node jobs: begins the attempt in the store (which hands back the node's input),
 * runs the executor with an abortable context, records the outcome atomically and
 * enqueues the nodes that became ready.
 */
export class NodeProcessor {
  readonly #d: NodeProcessorDeps;
  readonly #maxPayload: number;
  readonly #handoffs: Handoffs;

  constructor(deps: NodeProcessorDeps) {
    this.#d = deps;
    this.#handoffs = deps.handoffs;
    this.#maxPayload = deps.options.limits.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes;
  }

  /** Total attempts of a node: its policy, the workflow's defaults, its type's, the engine's. */
  maxAttempts(plan: WorkflowPlan, nodeId: string): number {
    return this.#policy(plan, nodeId).attempts;
  }

  #policy(plan: WorkflowPlan, nodeId: string) {
    const node = planNode(plan, nodeId);
    const typeOptions =
      !BUILT_IN_NODE_TYPES.has(node.type) && this.#d.registry.has(node.type)
        ? this.#d.registry.getRegistration(node.type).options
        : {};
    return resolveRetryPolicy(
      node.retry,
      plan.definition.defaults?.retry,
      typeOptions.retry,
      this.#d.options.defaultRetry,
    );
  }

  /** BullMQ backoff strategy: the delay before the next attempt of this job. */
  backoff(attemptsMade: number, job: Job | undefined): number {
    const data = job?.data as NodeJobData | undefined;
    const plan = data && this.#d.cachedPlan(data.tenantId, data.workflowId, data.workflowVersion);
    if (!data || !plan) return 1000;
    return retryDelayMs(this.#policy(plan, data.nodeId), attemptsMade + 1);
  }

  /** Promotes a parked (delayed) job so it runs now. */
  async wake(queue: Queue, jobId: string): Promise<void> {
    const job = await queue.getJob(jobId);
    if (job && (await job.isDelayed())) await job.promote().catch(() => {});
  }

  async process(job: Job<NodeJobData>, token: string | undefined): Promise<void> {
    const counted = job.queueName === NODE_QUEUE;
    if (counted) this.#handoffs.jobStarted();
    try {
      const plan = await this.#d.getPlan(
        job.data.tenantId,
        job.data.workflowId,
        job.data.workflowVersion,
      );
      // Workflow maxConcurrency: a slot for this run, or the job parks until one is free.
      const slot = await this.#d.gate.acquire(plan, job, token);
      try {
        await this.#process(job, token, plan);
      } finally {
        await slot?.release();
      }
    } finally {
      if (counted) this.#handoffs.jobEnded();
    }
  }

  async #process(
    job: Job<NodeJobData>,
    token: string | undefined,
    plan: WorkflowPlan,
  ): Promise<void> {
    const data = job.data;
    const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade + 1;
    // From taking a handoff to registering the run below nothing is awaited, so an abort
    // order either dropped the handoff first or finds the run registered.
    const begun =
      this.#handoffs.take(job.id, attempt) ??
      (await this.#d.store.beginNodeRun(plan, data.executionId, data.nodeId, attempt));
    if (!begun.started) return this.#notStarted(job, token, plan, begun);

    const { store, registry } = this.#d;
    const node = planNode(plan, data.nodeId);
    const base: NodeRef = {
      executionId: data.executionId,
      workflowId: data.workflowId,
      tenantId: begun.tenantId,
      nodeId: data.nodeId,
      nodeType: node.type,
    };
    const maybeChild = begun.parentExecutionId !== undefined;
    // Children may be handed to this process: their initial data is copied now, before this
    // node's executor could change the object it is given.
    const parentRun = this.#handoffs.parentRun(
      plan,
      data.nodeId,
      begun,
      job.queueName === NODE_QUEUE,
    );
    // A delay node woken at its time continues the attempt it started.
    const wokenDelay = node.type === DELAY_NODE && data.delayWakeAt !== undefined;
    const startedAt =
      wokenDelay && data.delayStartedAt !== undefined ? new Date(data.delayStartedAt) : new Date();
    const logs: LogEntry[] = [];
    const log = (
      level: LogEntry['level'],
      message: string,
      meta?: Record<string, unknown>,
    ): void => {
      const entry: LogEntry = {
        executionId: data.executionId,
        nodeId: data.nodeId,
        level,
        message,
        timestamp: new Date().toISOString(),
      };
      if (meta !== undefined) entry.meta = meta;
      logs.push(entry);
    };
    if (!wokenDelay) {
      log('info', `node '${data.nodeId}' started (attempt ${attempt})`);
      this.#d.emit('node:started', { ...base, attempt, timestamp: startedAt.toISOString() });
    }

    const span: Span = {
      spanId: `${data.executionId}.${data.nodeId}.${attempt}`,
      executionId: data.executionId,
      nodeId: data.nodeId,
      nodeType: node.type,
      attempt,
      startedAt: startedAt.toISOString(),
      status: 'ok',
    };
    /** The span as it ends now, with the log lines not written yet. */
    const closeSpan = (status: 'ok' | 'error' | 'running', error?: string): NodeTelemetry => {
      if (status !== 'running') span.finishedAt = new Date().toISOString();
      span.status = status;
      if (error !== undefined) span.error = error;
      return { span: { ...span }, logs: logs.splice(0) };
    };
    const telemetry = async (status: 'ok' | 'error' | 'running', error?: string): Promise<void> => {
      const { span: closed, logs: lines } = closeSpan(status, error);
      await store.recordSpan(closed, lines);
    };

    let settled: Settled;
    if (node.type === DELAY_NODE) {
      const wakeAt =
        data.delayWakeAt ?? delayWakeTime(node.config as DelayNodeConfig, startedAt.getTime());
      if (wakeAt > Date.now()) {
        // Durable: the job sleeps in BullMQ's delayed set (no worker slot), remembering its
        // wake time so that a re-run (a crash, a pause) does not start the delay again.
        if (data.delayWakeAt === undefined) {
          await job.updateData({
            ...data,
            delayWakeAt: wakeAt,
            delayStartedAt: startedAt.getTime(),
          });
        }
        log('info', `node '${data.nodeId}' waits until ${new Date(wakeAt).toISOString()}`);
        await telemetry('running');
        await job.moveToDelayed(wakeAt, token);
        // Once `delayed` is visible its job is in the delayed set. (A cancel in between
        // removes the job and cancels the node; this call then changes nothing.)
        await store.setNodeStatus(data.executionId, data.nodeId, 'delayed');
        throw new DelayedError();
      }
      settled = { kind: 'result', result: { success: true, data: begun.inputData } };
    } else {
      const registration =
        node.type === SUB_WORKFLOW_NODE || !registry.has(node.type)
          ? undefined
          : registry.getRegistration(node.type);
      const timeoutMs =
        node.timeoutMs ?? plan.definition.defaults?.timeoutMs ?? registration?.options.timeoutMs;
      const run = new NodeRun(this.#d.running, data.executionId, data.nodeId, timeoutMs);
      try {
        let execute: () => Promise<unknown>;
        if (node.type === SUB_WORKFLOW_NODE) {
          execute = () => this.#d.startSubWorkflow(plan, base, begun, attempt);
        } else if (registration) {
          const ctx = this.#context(plan, data, begun, attempt, run.controller.signal, log);
          execute = () => registration.executor.execute(ctx);
        } else {
          throw new NonRetryableError(`node type '${node.type}' is not registered in this process`);
        }
        settled = await Promise.race([
          execute().then(
            (result): Settled => ({ kind: 'result', result }),
            (error: unknown): Settled => ({ kind: 'error', error }),
          ),
          run.aborted.then((abort): Settled => ({ kind: 'aborted', abort })),
        ]);
      } catch (error) {
        settled = { kind: 'error', error };
      } finally {
        run.dispose();
      }
      if (settled.kind === 'aborted' && settled.abort === 'timeout') {
        settled = { kind: 'error', error: run.controller.signal.reason };
      }
    }

    if (settled.kind === 'aborted') {
      if (settled.abort === 'shutdown') {
        log('warn', `node '${data.nodeId}' interrupted by worker shutdown; it will run again`);
        await telemetry('error', 'interrupted by shutdown');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      log('warn', `node '${data.nodeId}' aborted: execution ${settled.abort}`);
      await telemetry('error', `aborted: execution ${settled.abort}`);
      return;
    }

    if (settled.kind === 'result' && settled.result === WAITING) {
      // A sub-workflow node whose child now runs: the child's end completes it.
      log('info', `node '${data.nodeId}' waits for its sub-workflow`);
      await telemetry('running');
      return;
    }

    let result: ExecutionResult | undefined;
    let error: unknown;
    /** The output as JSON text, as checked against the payload limit. */
    let dataText: string | undefined;
    if (settled.kind === 'result') {
      result = checkResult(settled.result);
      if (!result)
        error = new NonRetryableError('executor returned no { success: boolean } result');
      else if (result.success) {
        try {
          dataText = payloadText(`output of node '${data.nodeId}'`, result.data, this.#maxPayload);
        } catch (e) {
          error = e;
        }
      } else error = new Error(result.error ?? 'node returned success: false');
    } else {
      error = settled.error;
    }

    const durationMs = Date.now() - startedAt.getTime();
    if (error === undefined && result) {
      log('info', `node '${data.nodeId}' completed in ${durationMs} ms`);
      await this.#recordCompleted(
        plan,
        base,
        { attempt, durationMs, priority: begun.priority, maybeChild, parentRun },
        { data: result.data, nextNodes: result.nextNodes, dataText },
        closeSpan('ok'),
      );
      return;
    }

    const message = errorMessage(error);
    const final =
      isFinalError(error) ||
      result?.retryable === false ||
      job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!final) {
      const delayMs = this.backoff(job.attemptsMade + 1, job);
      log(
        'warn',
        `node '${data.nodeId}' attempt ${attempt} failed: ${message}; retrying in ${delayMs} ms`,
      );
      await Promise.all([
        telemetry('error', message),
        store.setNodeStatus(data.executionId, data.nodeId, 'delayed', { error: message }),
      ]);
      const now = new Date().toISOString();
      this.#d.emit('node:failed', {
        ...base,
        attempt,
        error: message,
        final: false,
        timestamp: now,
      });
      this.#d.emit('node:retrying', { ...base, attempt, error: message, delayMs, timestamp: now });
      throw error instanceof Error ? error : new Error(message);
    }
    log('error', `node '${data.nodeId}' failed: ${message}`);
    await telemetry('error', message);
    await this.#fail(
      plan,
      base,
      attempt,
      message,
      error instanceof Error ? error.stack : undefined,
      begun.inputData,
      maybeChild,
    );
  }

  /**
   * Records a completed node: its result, then the events, its ready children and (when
   * the execution finished) the execution's end — in that order.
   */
  async #recordCompleted(
    plan: WorkflowPlan,
    base: NodeRef,
    run: {
      attempt: number;
      durationMs: number;
      priority: number | undefined;
      maybeChild: boolean;
      /** This node's run, when its children may be handed to this process. */
      parentRun?: ParentRun | undefined;
    },
    outcome: {
      data: unknown;
      nextNodes?: string[] | undefined;
      /** `data` as JSON text, taken when the executor returned (for started children). */
      dataText?: string | undefined;
    },
    telemetry: NodeTelemetry,
  ): Promise<void> {
    const ticket = run.parentRun
      ? this.#handoffs.startable(plan, base.nodeId, run.parentRun)
      : undefined;
    let r: CompleteNodeResult;
    try {
      // The attempt's span and log lines go with the outcome, in one store write.
      r = await this.#d.store.completeNode(
        plan,
        base.executionId,
        base.nodeId,
        { type: 'completed', data: outcome.data, nextNodes: outcome.nextNodes },
        telemetry,
        ticket ? { start: ticket.nodes } : undefined,
      );
    } finally {
      ticket?.release();
    }
    if (r.recorded && r.started && r.started.length > 0 && ticket && run.parentRun) {
      this.#handoffs.handOffChildren(
        plan,
        base.executionId,
        base.nodeId,
        r.started,
        ticket,
        outcome,
        run.parentRun,
      );
    }
    if (r.recorded) {
      // Announce the completion before the children are queued, so a child's
      // node:started never precedes its parent's node:completed.
      const timestamp = new Date().toISOString();
      this.#d.emit('node:completed', {
        ...base,
        attempt: run.attempt,
        durationMs: run.durationMs,
        timestamp,
      });
    }
    if (!r.recorded) return;
    await this.#d.enqueueNodes(plan, base.executionId, r.ready, base.tenantId, run.priority);
    await this.#afterRecord(plan, base, r, run.maybeChild);
  }

  /**
   * Completes a sub-workflow node that was waiting for its child (called by the engine that
   * saw the child finish). A no-op when the node is already settled.
   */
  async completeWaiting(
    plan: WorkflowPlan,
    base: NodeRef,
    run: { attempt: number; startedAt: string | undefined; priority: number | undefined },
    data: unknown,
    maybeChild: boolean,
  ): Promise<void> {
    const startedAt = run.startedAt ?? new Date().toISOString();
    const durationMs = Math.max(0, Date.now() - Date.parse(startedAt));
    const message = `node '${base.nodeId}' completed in ${durationMs} ms`;
    await this.#recordCompleted(
      plan,
      base,
      { attempt: run.attempt, durationMs, priority: run.priority, maybeChild },
      { data },
      this.#waitingSpan(base, run.attempt, startedAt, 'info', message),
    );
  }

  /** Fails a sub-workflow node that was waiting for its child (the child failed or was cancelled). */
  async failWaiting(
    plan: WorkflowPlan,
    base: NodeRef,
    run: { attempt: number; startedAt: string | undefined },
    message: string,
    maybeChild: boolean,
  ): Promise<void> {
    const startedAt = run.startedAt ?? new Date().toISOString();
    const closed = this.#waitingSpan(
      base,
      run.attempt,
      startedAt,
      'error',
      `node '${base.nodeId}' failed: ${message}`,
      message,
    );
    await this.#d.store.recordSpan(closed.span, closed.logs);
    await this.#fail(plan, base, run.attempt, message, undefined, undefined, maybeChild);
  }

  /** The closing span and log line of a sub-workflow node that was waiting for its child. */
  #waitingSpan(
    base: NodeRef,
    attempt: number,
    startedAt: string,
    level: LogEntry['level'],
    message: string,
    error?: string,
  ): NodeTelemetry {
    const now = new Date().toISOString();
    const span: Span = {
      spanId: `${base.executionId}.${base.nodeId}.${attempt}`,
      executionId: base.executionId,
      nodeId: base.nodeId,
      nodeType: base.nodeType,
      attempt,
      startedAt,
      finishedAt: now,
      status: error === undefined ? 'ok' : 'error',
    };
    if (error !== undefined) span.error = error;
    return {
      span,
      logs: [
        { executionId: base.executionId, nodeId: base.nodeId, level, message, timestamp: now },
      ],
    };
  }

  /** Records a node's final failure: dead-letter item, then the outcome (which may fail the execution). */
  async #fail(
    plan: WorkflowPlan,
    base: NodeRef,
    attempt: number,
    message: string,
    stack: string | undefined,
    inputData: unknown,
    maybeChild: boolean,
  ): Promise<void> {
    const { store } = this.#d;
    const node = planNode(plan, base.nodeId);
    const dlq = node.continueOnFail
      ? undefined
      : await store.addDLQItem({
          workflowId: base.workflowId,
          executionId: base.executionId,
          nodeId: base.nodeId,
          tenantId: base.tenantId,
          inputData,
          error: message,
          ...(stack === undefined ? {} : { stack }),
          attempts: attempt,
        });
    const r = await store.completeNode(plan, base.executionId, base.nodeId, {
      type: 'failed',
      error: message,
    });
    if (!r.recorded) {
      if (dlq) await store.removeDLQItem(dlq.id);
      return;
    }
    this.#d.emit('node:failed', {
      ...base,
      attempt,
      error: message,
      final: true,
      timestamp: new Date().toISOString(),
    });
    if (r.ready.length > 0) {
      const execution = await store.getExecution(base.executionId);
      await this.#d.enqueueNodes(
        plan,
        base.executionId,
        r.ready,
        base.tenantId,
        execution?.priority,
      );
    }
    await this.#afterRecord(plan, base, r, maybeChild, message);
  }

  async #afterRecord(
    plan: WorkflowPlan,
    base: NodeRef,
    r: CompleteNodeResult,
    maybeChild: boolean,
    error?: string,
  ): Promise<void> {
    const timestamp = new Date().toISOString();
    for (const s of r.skipped) {
      const type = plan.nodes.get(s.nodeId)?.type ?? 'unknown';
      this.#d.emit('node:skipped', {
        ...base,
        nodeId: s.nodeId,
        nodeType: type,
        reason: s.reason,
        timestamp,
      });
    }
    if (!r.finished) return;
    const status = r.executionStatus;
    if (status !== 'completed' && status !== 'failed') return;
    const exec = {
      executionId: base.executionId,
      workflowId: base.workflowId,
      tenantId: base.tenantId,
      timestamp,
    };
    const log = (level: LogEntry['level'], message: string) =>
      this.#d.store.appendLogs([{ executionId: base.executionId, level, message, timestamp }]);
    if (status === 'completed') {
      this.#d.emit('workflow:completed', exec);
      void log('info', 'execution completed').catch(() => {});
    } else {
      this.#handoffs.drop(base.executionId);
      this.#d.abortExecution(base.executionId);
      this.#d.emit('workflow:failed', { ...exec, error: error ?? 'failed', nodeId: base.nodeId });
      void log('error', `execution failed: ${error ?? ''}`).catch(() => {});
    }
    await this.#d.onExecutionFinished(base.executionId, plan, status, maybeChild);
  }

  #context(
    plan: WorkflowPlan,
    data: NodeJobData,
    begun: Extract<BeginNodeRunResult, { started: true }>,
    attempt: number,
    signal: AbortSignal,
    log: (level: LogEntry['level'], message: string, meta?: Record<string, unknown>) => void,
  ): ExecutionContext {
    const node = planNode(plan, data.nodeId);
    const logger: NodeLogger = {
      debug: (m, meta) => log('debug', m, meta),
      info: (m, meta) => log('info', m, meta),
      warn: (m, meta) => log('warn', m, meta),
      error: (m, meta) => log('error', m, meta),
    };
    const ctx: ExecutionContext = {
      workflowId: data.workflowId,
      executionId: data.executionId,
      nodeId: data.nodeId,
      nodeType: node.type,
      nodeConfig: node.config === undefined ? {} : structuredClone(node.config),
      inputData: begun.inputData,
      previousResults: begun.previousResults,
      initialData: begun.initialData,
      attempt,
      depth: begun.depth,
      tenantId: begun.tenantId,
      signal,
      log: logger,
    };
    if (begun.parentExecutionId !== undefined) ctx.parentExecutionId = begun.parentExecutionId;
    return ctx;
  }

  /** A job whose node may not run now: park it (paused), repair (crash after completion) or drop it. */
  async #notStarted(
    job: Job<NodeJobData>,
    token: string | undefined,
    plan: WorkflowPlan,
    begun: Extract<BeginNodeRunResult, { started: false }>,
  ): Promise<void> {
    const { store, redis } = this.#d;
    const { executionId, nodeId } = job.data;
    if (begun.reason === 'execution-not-active' && begun.executionStatus === 'paused') {
      // A node its parent's completion started (its handoff dropped by the pause) is not
      // running while this, its only job, parks: it waits for the resume like the rest.
      // (Before parking, so no run of it after a resume can be marked back.)
      const before = await store.getExecution(executionId);
      if (before?.status === 'paused' && before.nodeResults[nodeId]?.status === 'running') {
        await store.setNodeStatus(executionId, nodeId, 'queued');
      }
      await job.moveToDelayed(Date.now() + PARK_MS, token);
      await redis.sadd(this.#d.parkedKey(executionId), job.id!);
      // Resume may have run between our check and the park: look again (resume wakes
      // parked jobs after setting the status, so one of the two always wakes this job).
      const status = (await store.getExecution(executionId))?.status;
      if (status === 'running' || status === 'pending') {
        await job.promote().catch(() => {});
        await redis.srem(this.#d.parkedKey(executionId), job.id!);
      }
      throw new DelayedError();
    }
    if (
      begun.reason === 'execution-not-active' &&
      begun.executionStatus !== undefined &&
      isTerminalStatus(begun.executionStatus)
    ) {
      // Maybe the run that finished this execution died before telling its parent node
      // (when it is a sub-workflow): this re-run of its job does it.
      await this.#d.onFinishedExecutionJob(executionId);
      return;
    }
    if (
      begun.reason === 'node-not-runnable' &&
      (begun.nodeStatus === 'completed' || begun.nodeStatus === 'failed')
    ) {
      // A previous run recorded the result but may have died before enqueueing the
      // children: enqueue those still queued (a job that exists is not added twice).
      const execution = await store.getExecution(executionId);
      if (!execution || (execution.status !== 'running' && execution.status !== 'pending')) return;
      // A child its completion started is `running` and may have no job either.
      const queued = (plan.children.get(nodeId) ?? []).filter((c) => {
        const status = execution.nodeResults[c]?.status;
        return status === 'queued' || status === 'running';
      });
      await this.#d.enqueueNodes(plan, executionId, queued, execution.tenantId, execution.priority);
    }
  }

  /**
   * A job BullMQ gave up on without our processor deciding (it lost its worker more than
   * `maxStalledCount` times, or the store failed on the last attempt): record the node as
   * failed so the execution does not wait forever.
   */
  async onJobGivenUp(job: Job<NodeJobData>, err: Error): Promise<void> {
    if (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(err.message)) return;
    try {
      const data = job.data;
      const plan = await this.#d.getPlan(data.tenantId, data.workflowId, data.workflowVersion);
      const node = planNode(plan, data.nodeId);
      const base = {
        executionId: data.executionId,
        workflowId: data.workflowId,
        tenantId: data.tenantId,
        nodeId: data.nodeId,
        nodeType: node.type,
      };
      await this.#fail(
        plan,
        base,
        (data.attemptsBefore ?? 0) + job.attemptsMade,
        err.message,
        err.stack,
        undefined,
        true,
      );
    } catch (e) {
      this.#d.options.logger.error('could not record a failed job', {
        jobId: job.id,
        error: errorMessage(e),
      });
    }
  }
}

/** Errors that fail a node at once, without further attempts. */
function isFinalError(error: unknown): boolean {
  return (
    error instanceof NonRetryableError ||
    error instanceof PayloadTooLargeError ||
    error instanceof DepthLimitExceededError ||
    error instanceof WorkflowNotFoundError
  );
}

function checkResult(value: unknown): ExecutionResult | undefined {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as ExecutionResult).success !== 'boolean'
  ) {
    return undefined;
  }
  const result = value as ExecutionResult;
  if (
    result.nextNodes !== undefined &&
    !(Array.isArray(result.nextNodes) && result.nextNodes.every((n) => typeof n === 'string'))
  ) {
    return undefined;
  }
  return result;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}
