import {
  DepthLimitExceededError,
  type ExecutionResult,
  type ExecutionStore,
  type NodeDefinition,
  type NodeRegistry,
  type NodeTypeRegistration,
  NonRetryableError,
  PayloadTooLargeError,
  planNode,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { payloadText } from '@spane/core/internal';
import { DelayedError, type Job, WaitingError } from 'bullmq';
import { AttemptTelemetry, type SpanStatus } from './attempt-telemetry.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { CrashGuard, WatchedRun } from './crash-guard.js';
import { DELAY_NODE, type DelayNodeConfig, delayWakeTime } from './delay-node.js';
import type { EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import { executionContext } from './execution-context.js';
import type { Handoffs } from './handoffs.js';
import type { MissingNodeTypes } from './missing-node-type.js';
import type { NodeJobData } from './node-jobs.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { PlanSource } from './plan-source.js';
import { NODE_QUEUE } from './redis-keys.js';
import type { RetryPolicies } from './retry-policies.js';
import type { AbortKind, RunningNode, RunningNodes } from './running-nodes.js';
import type { StartedRun } from './started-run.js';
import {
  type NodeRef,
  SUB_WORKFLOW_NODE,
  type SubWorkflows,
  WAITING,
} from './sub-workflow-node.js';
import type { UnstartedJobs } from './unstarted-jobs.js';

/** How an attempt's executor ended. */
type Settled =
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted'; abort: AbortKind };

/** An executor's result, checked: the output to record, or the error that fails the attempt. */
type Checked =
  | { ok: true; result: ExecutionResult; dataText: string | undefined }
  | { ok: false; error: unknown; result: ExecutionResult | undefined };

/** What {@link NodeRunner} needs. */
export interface NodeRunnerContext {
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>;
  store: Pick<ExecutionStore, 'beginNodeRun' | 'recordSpan' | 'setNodeStatus'>;
  plans: Pick<PlanSource, 'getPlan'>;
  gate: Pick<ConcurrencyGate, 'acquire'>;
  handoffs: Pick<Handoffs, 'take' | 'parentRun' | 'jobStarted' | 'jobEnded'>;
  runs: Pick<RunningNodes, 'start'>;
  recorder: Pick<OutcomeRecorder, 'recordCompleted' | 'recordFailure'>;
  unstarted: Pick<UnstartedJobs, 'handle'>;
  subWorkflows: Pick<SubWorkflows, 'start'>;
  retry: Pick<RetryPolicies, 'backoff'>;
  events: Pick<EngineEvents, 'emit'>;
  logger: EngineLogger;
  crashes: Pick<CrashGuard, 'enter'>;
  missingTypes: Pick<MissingNodeTypes, 'check' | 'error'>;
  /** The largest node output (JSON bytes). */
  maxPayloadBytes: number;
}

/**
 * Runs node jobs, one attempt each: begins the attempt in the store (which hands back the
 * node's input) or takes the run a parent's completion handed to this process, runs the
 * executor with an abortable context, and has the outcome recorded — or, for an attempt
 * that will be retried, its failure announced and the job handed back to BullMQ.
 */
export class NodeRunner {
  readonly #ctx: NodeRunnerContext;

  constructor(ctx: NodeRunnerContext) {
    this.#ctx = ctx;
  }

  /** BullMQ processor of the node queues. */
  async process(job: Job<NodeJobData>, token: string | undefined): Promise<void> {
    const { handoffs } = this.#ctx;
    const counted = job.queueName === NODE_QUEUE;
    if (counted) handoffs.jobStarted();
    let watched: WatchedRun | null = null;
    try {
      watched = await this.#ctx.crashes.enter(job);
      if (!watched) return; // its node crashed its worker too often: failed, not run
      const plan = await this.#planOf(job.data);
      await this.#ctx.missingTypes.check(plan, job, token);
      // Workflow maxConcurrency: a slot for this run, or the job parks until one is free.
      const slot = await this.#ctx.gate.acquire(plan, job, token);
      try {
        await this.#run(job, token, plan);
      } finally {
        await slot?.release();
      }
    } finally {
      await watched?.leave();
      if (counted) handoffs.jobEnded();
    }
  }

  /** The plan of the workflow version a node job runs. */
  #planOf(data: NodeJobData): Promise<WorkflowPlan> {
    return this.#ctx.plans.getPlan(data.tenantId, data.workflowId, data.workflowVersion);
  }

  /** One attempt: begin → execute → record. */
  async #run(job: Job<NodeJobData>, token: string | undefined, plan: WorkflowPlan): Promise<void> {
    const { handoffs, store } = this.#ctx;
    const data = job.data;
    const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade + 1;
    // From taking a handoff to registering the run (#execute) nothing is awaited, so an
    // abort order either dropped the handoff first or finds the run registered.
    const begun =
      handoffs.take(job.id, attempt) ??
      (await store.beginNodeRun(plan, data.executionId, data.nodeId, attempt));
    if (!begun.started) return this.#ctx.unstarted.handle(job, token, plan, begun);

    const node = planNode(plan, data.nodeId);
    const base: NodeRef = {
      executionId: data.executionId,
      workflowId: data.workflowId,
      tenantId: begun.tenantId,
      nodeId: data.nodeId,
      nodeType: node.type,
    };
    // Children may be handed to this process: their initial data is copied now, before this
    // node's executor could change the object it is given.
    const parentRun = handoffs.parentRun(plan, data.nodeId, begun, job.queueName === NODE_QUEUE);
    // A delay node woken at its time continues the attempt it started.
    const wokenDelay = node.type === DELAY_NODE && data.delayWakeAt !== undefined;
    const startedAt =
      wokenDelay && data.delayStartedAt !== undefined ? new Date(data.delayStartedAt) : new Date();
    const telemetry = new AttemptTelemetry(base, attempt, startedAt);
    if (!wokenDelay) {
      telemetry.log('info', `node '${data.nodeId}' started (attempt ${attempt})`);
      this.#ctx.events.emit('node:started', {
        ...base,
        attempt,
        timestamp: startedAt.toISOString(),
      });
    }

    let settled: Settled;
    if (node.type === DELAY_NODE) {
      settled = await this.#delay(job, token, node, begun, telemetry, startedAt);
    } else {
      const registration = this.#registration(node);
      const timeoutMs =
        node.timeoutMs ?? plan.definition.defaults?.timeoutMs ?? registration?.options.timeoutMs;
      const run = this.#ctx.runs.start(data.executionId, data.nodeId, timeoutMs);
      try {
        settled = await this.#execute(plan, base, begun, attempt, registration, telemetry, run);
      } catch (error) {
        settled = { kind: 'error', error };
      } finally {
        run.dispose();
      }
      if (settled.kind === 'aborted' && settled.abort === 'timeout') {
        settled = { kind: 'error', error: run.controller.signal.reason };
      }
    }

    if (settled.kind === 'aborted') return this.#aborted(job, token, settled.abort, telemetry);
    if (settled.kind === 'result' && settled.result === WAITING) {
      // A sub-workflow node whose child now runs: the child's end completes it.
      telemetry.log('info', `node '${data.nodeId}' waits for its sub-workflow`);
      return this.#recordSpan(telemetry, 'running');
    }
    const checked = this.#check(settled, data.nodeId);
    const durationMs = Date.now() - startedAt.getTime();
    const maybeChild = begun.parentExecutionId !== undefined;
    if (!checked.ok) {
      return this.#failed(job, plan, base, attempt, begun, checked, telemetry, maybeChild);
    }
    const { result, dataText } = checked;
    telemetry.log('info', `node '${data.nodeId}' completed in ${durationMs} ms`);
    await this.#ctx.recorder.recordCompleted(
      plan,
      base,
      { attempt, durationMs, priority: begun.priority, maybeChild, parentRun },
      { data: result.data, nextNodes: result.nextNodes, dataText },
      telemetry.close('ok'),
    );
  }

  /** The registration of a node's type in this process (none for a sub-workflow node). */
  #registration(node: Readonly<NodeDefinition>): NodeTypeRegistration | undefined {
    const { registry } = this.#ctx;
    return node.type === SUB_WORKFLOW_NODE || !registry.has(node.type)
      ? undefined
      : registry.getRegistration(node.type);
  }

  /**
   * Runs the node's executor (or starts its sub-workflow) until it settles or the run is
   * aborted. Registered with `run` before anything is awaited.
   */
  #execute(
    plan: WorkflowPlan,
    base: NodeRef,
    begun: StartedRun,
    attempt: number,
    registration: NodeTypeRegistration | undefined,
    telemetry: AttemptTelemetry,
    run: RunningNode,
  ): Promise<Settled> {
    let execute: () => Promise<unknown>;
    if (base.nodeType === SUB_WORKFLOW_NODE) {
      execute = () => this.#ctx.subWorkflows.start(plan, base, begun, attempt);
    } else if (registration) {
      const signal = run.controller.signal;
      const ctx = executionContext(plan, base, begun, attempt, signal, telemetry);
      execute = () => registration.executor.execute(ctx);
    } else {
      throw this.#ctx.missingTypes.error(base.nodeType);
    }
    return Promise.race([
      execute().then(
        (result): Settled => ({ kind: 'result', result }),
        (error: unknown): Settled => ({ kind: 'error', error }),
      ),
      run.aborted.then((abort): Settled => ({ kind: 'aborted', abort })),
    ]);
  }

  /**
   * A delay node: passes its input on once its wake time has come; before that its job
   * sleeps in BullMQ's delayed set (durable, no worker slot), remembering its wake time so
   * that a re-run (a crash, a pause) does not start the delay again.
   */
  async #delay(
    job: Job<NodeJobData>,
    token: string | undefined,
    node: Readonly<NodeDefinition>,
    begun: StartedRun,
    telemetry: AttemptTelemetry,
    startedAt: Date,
  ): Promise<Settled> {
    const data = job.data;
    const wakeAt =
      data.delayWakeAt ?? delayWakeTime(node.config as DelayNodeConfig, startedAt.getTime());
    if (wakeAt <= Date.now()) {
      return { kind: 'result', result: { success: true, data: begun.inputData } };
    }
    if (data.delayWakeAt === undefined) {
      await job.updateData({ ...data, delayWakeAt: wakeAt, delayStartedAt: startedAt.getTime() });
    }
    telemetry.log('info', `node '${data.nodeId}' waits until ${new Date(wakeAt).toISOString()}`);
    await this.#recordSpan(telemetry, 'running');
    await job.moveToDelayed(wakeAt, token);
    // Once `delayed` is visible its job is in the delayed set. (A cancel in between
    // removes the job and cancels the node; this call then changes nothing.)
    await this.#ctx.store.setNodeStatus(data.executionId, data.nodeId, 'delayed');
    throw new DelayedError();
  }

  /** An attempt told to stop: by a shutdown (its job goes back to the queue) or its execution's end. */
  async #aborted(
    job: Job<NodeJobData>,
    token: string | undefined,
    abort: AbortKind,
    telemetry: AttemptTelemetry,
  ): Promise<void> {
    const { nodeId } = job.data;
    if (abort === 'shutdown') {
      telemetry.log('warn', `node '${nodeId}' interrupted by worker shutdown; it will run again`);
      await this.#recordSpan(telemetry, 'error', 'interrupted by shutdown');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    telemetry.log('warn', `node '${nodeId}' aborted: execution ${abort}`);
    await this.#recordSpan(telemetry, 'error', `aborted: execution ${abort}`);
  }

  /** Checks what an executor returned: a `{ success }` result whose output fits the limit. */
  #check(settled: Exclude<Settled, { kind: 'aborted' }>, nodeId: string): Checked {
    if (settled.kind === 'error') return { ok: false, error: settled.error, result: undefined };
    const result = checkResult(settled.result);
    if (!result) {
      const error = new NonRetryableError('executor returned no { success: boolean } result');
      return { ok: false, error, result };
    }
    if (!result.success) {
      return {
        ok: false,
        error: new Error(result.error ?? 'node returned success: false'),
        result,
      };
    }
    try {
      const dataText = payloadText(
        `output of node '${nodeId}'`,
        result.data,
        this.#ctx.maxPayloadBytes,
      );
      return { ok: true, result, dataText };
    } catch (error) {
      return { ok: false, error, result };
    }
  }

  /**
   * A failed attempt: announced and handed back to BullMQ for a retry (after the backoff),
   * or — the last attempt, or an error that allows none — recorded as the node's failure.
   */
  async #failed(
    job: Job<NodeJobData>,
    plan: WorkflowPlan,
    base: NodeRef,
    attempt: number,
    begun: StartedRun,
    checked: Extract<Checked, { ok: false }>,
    telemetry: AttemptTelemetry,
    maybeChild: boolean,
  ): Promise<void> {
    const { error, result } = checked;
    const { nodeId } = base;
    const message = errorMessage(error);
    const final =
      isFinalError(error) ||
      result?.retryable === false ||
      job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!final) {
      const delayMs = this.#ctx.retry.backoff(job.attemptsMade + 1, job);
      telemetry.log(
        'warn',
        `node '${nodeId}' attempt ${attempt} failed: ${message}; retrying in ${delayMs} ms`,
      );
      await Promise.all([
        this.#recordSpan(telemetry, 'error', message),
        this.#ctx.store.setNodeStatus(base.executionId, nodeId, 'delayed', { error: message }),
      ]);
      const timestamp = new Date().toISOString();
      const { events } = this.#ctx;
      events.emit('node:failed', { ...base, attempt, error: message, final: false, timestamp });
      events.emit('node:retrying', { ...base, attempt, error: message, delayMs, timestamp });
      throw error instanceof Error ? error : new Error(message);
    }
    telemetry.log('error', `node '${nodeId}' failed: ${message}`);
    await this.#recordSpan(telemetry, 'error', message);
    const stack = error instanceof Error ? error.stack : undefined;
    await this.#ctx.recorder.recordFailure(
      plan,
      base,
      attempt,
      message,
      stack,
      begun.inputData,
      maybeChild,
    );
  }

  /** Writes the attempt's span as it ends now, with its log lines. */
  async #recordSpan(telemetry: AttemptTelemetry, status: SpanStatus, error?: string) {
    const { span, logs } = telemetry.close(status, error);
    await this.#ctx.store.recordSpan(span, logs);
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
      const plan = await this.#planOf(data);
      const node = planNode(plan, data.nodeId);
      const base = {
        executionId: data.executionId,
        workflowId: data.workflowId,
        tenantId: data.tenantId,
        nodeId: data.nodeId,
        nodeType: node.type,
      };
      const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade;
      await this.#ctx.recorder.recordFailure(
        plan,
        base,
        attempt,
        err.message,
        err.stack,
        undefined,
        true,
      );
    } catch (e) {
      this.#ctx.logger.error('could not record a failed job', {
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
