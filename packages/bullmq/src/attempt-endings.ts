import type { ExecutionStore, WorkflowPlan } from '@spane/core';
import { type Job, WaitingError } from 'bullmq';
import { type Checked, errorMessage, isFinalError, storableText } from './attempt-result.js';
import type { AttemptTelemetry, SpanStatus } from './attempt-telemetry.js';
import type { CarriedRuns } from './carried-runs.js';
import type { BreakerTicket } from './circuit-breakers.js';
import type { EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import type { InfraRetry } from './infra-retry.js';
import type { JobLease } from './job-leases.js';
import type { LoopTurn } from './loop-turn.js';
import type { NodeJobData } from './node-jobs.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { RetryPolicies } from './retry-policies.js';
import type { AbortKind } from './running-nodes.js';
import type { StartedRun } from './started-run.js';
import type { NodeRef } from './sub-workflow-node.js';

/** One node run in the processing of a node job: its run token (fencing) and its lock. */
export interface Processing {
  job: Job<NodeJobData>;
  /**
   * The run's node as a job holds it: the job's own data, or — for a run the job carries
   * (see CarriedRuns) — the data the node's own job would have had.
   */
  data: NodeJobData;
  /** How many runs the job carried before this one (0: the job's own node). */
  carried: number;
  /** Shared by the job's runs: how many runs the job carried or is to carry so far. */
  tally: { carried: number };
  /** Shared by the job's runs: the event loop's turn when the latest of them started. */
  turns: { last: LoopTurn };
  /** When the job's processing began (epoch ms). */
  since: number;
  /** BullMQ's lock token of the job. */
  token: string | undefined;
  /** This run's token in the store (see ExecutionStore.beginNodeRun). */
  runToken: string;
  lease: JobLease;
  /** The run's pass through its type's circuit breaker (none without a breaker). */
  breaker?: BreakerTicket;
}

/** What {@link AttemptEndings} needs. */
export interface AttemptEndingsContext {
  store: Pick<ExecutionStore, 'recordSpan' | 'setNodeStatus'>;
  recorder: Pick<OutcomeRecorder, 'recordFailure'>;
  retry: Pick<RetryPolicies, 'backoff' | 'maxAttempts' | 'delayMs'>;
  events: Pick<EngineEvents, 'emit'>;
  infra: Pick<InfraRetry, 'run'>;
  carried: Pick<CarriedRuns, 'addOwnJob'>;
  logger: EngineLogger;
}

/** What fences a run's writes: its token, and its lock (retries stop when it is lost). */
export function fenceOf(p: Processing) {
  return { runToken: p.runToken, lease: p.lease, traceContext: p.data.traceContext };
}

/**
 * The ends of an attempt other than a completion: told to stop (a shutdown, a lost lock,
 * its execution's end), or failed — handed back to BullMQ for a retry, or recorded as the
 * node's final failure. A carried run's retry gets the node its own job.
 */
export class AttemptEndings {
  readonly #ctx: AttemptEndingsContext;

  constructor(ctx: AttemptEndingsContext) {
    this.#ctx = ctx;
  }

  /**
   * An attempt told to stop: by a shutdown (its job goes back to the queue), a lost lock
   * (the job is another worker's now, or goes back to the queue) or its execution's end.
   * A carried run's job is its carrier's: that job goes back, and its next run adds the
   * carried node's own job (see RecordedWork).
   */
  async aborted(
    p: Processing,
    abort: AbortKind,
    telemetry: AttemptTelemetry,
    run: { plan: WorkflowPlan; begun: StartedRun },
  ): Promise<void> {
    const { job, token } = p;
    const { nodeId, executionId } = p.data;
    if (abort === 'shutdown') {
      telemetry.log('warn', `node '${nodeId}' interrupted by worker shutdown; it will run again`);
      await this.recordSpan(p, telemetry, 'error', 'interrupted by shutdown');
      // This run surely ended: the node is released (queued), so that its next run keeps
      // the attempt number (a node still held would be taken over as the next attempt).
      await this.#ctx.store
        .setNodeStatus(executionId, nodeId, 'queued', { runToken: p.runToken })
        .catch(() => {});
      if (p.carried > 0) {
        // Its next run gets a job of its own, under the same attempt number (the carrier's
        // node is done: its job ends).
        const { plan, begun } = run;
        const traceContext = p.data.traceContext;
        const attemptsBefore = begun.attempt - 1;
        await this.#ctx.carried.addOwnJob(plan, p.data, {
          ...{ priority: begun.priority, traceContext, attemptsBefore, lease: p.lease },
        });
        return;
      }
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (abort === 'lock-lost') {
      const message = "this worker lost the job's lock; the node runs again";
      this.#ctx.logger.warn(`node '${nodeId}' stopped: ${message}`, {
        executionId,
        jobId: job.id,
      });
      telemetry.log('warn', `node '${nodeId}' stopped: ${message}`);
      await this.recordSpan(p, telemetry, 'error', message).catch(() => {});
      // If the lock was still ours after all, the job goes back to the queue; else the
      // worker that took it over has it.
      await job.moveToWait(token).catch(() => {});
      throw new WaitingError();
    }
    telemetry.log('warn', `node '${nodeId}' aborted: execution ${abort}`);
    await this.recordSpan(p, telemetry, 'error', `aborted: execution ${abort}`);
  }

  /**
   * A failed attempt: announced and handed back to BullMQ for a retry (after the backoff),
   * or — the last attempt, or an error that allows none — recorded as the node's failure.
   */
  async failed(
    p: Processing,
    plan: WorkflowPlan,
    base: NodeRef,
    begun: StartedRun,
    checked: Extract<Checked, { ok: false }>,
    telemetry: AttemptTelemetry,
  ): Promise<void> {
    const { job } = p;
    const { error, result } = checked;
    const { nodeId } = base;
    const attempt = begun.attempt;
    // Every secret value of the attempt masked before anything records the error.
    const message = telemetry.mask(errorMessage(error));
    const { retry } = this.#ctx;
    const lastAttempt =
      p.carried > 0
        ? attempt >= retry.maxAttempts(plan, nodeId)
        : job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const final = isFinalError(error) || result?.retryable === false || lastAttempt;
    const maybeChild = begun.parentExecutionId !== undefined;
    if (!final) {
      const delayMs =
        p.carried > 0
          ? retry.delayMs(plan, nodeId, attempt + 1)
          : retry.backoff(job.attemptsMade + 1, job);
      telemetry.log(
        'warn',
        `node '${nodeId}' attempt ${attempt} failed: ${message}; retrying in ${delayMs} ms`,
      );
      const [, held] = await Promise.all([
        this.recordSpan(p, telemetry, 'error', message),
        this.#ctx.infra.run(
          `status of node '${nodeId}'`,
          () =>
            this.#ctx.store.setNodeStatus(base.executionId, nodeId, 'delayed', {
              error: message,
              runToken: p.runToken,
            }),
          p.lease,
        ),
      ]);
      // Not held: the node settled, its execution ended, or another run took it over.
      if (!held) return;
      const timestamp = new Date().toISOString();
      const { events } = this.#ctx;
      events.emit('node:failed', { ...base, attempt, error: message, final: false, timestamp });
      events.emit('node:retrying', { ...base, attempt, error: message, delayMs, timestamp });
      if (p.carried === 0) throw maskedError(error, message, telemetry);
      // A carried run has no job to retry: the next attempt gets one of its own.
      await this.#ctx.carried.addOwnJob(plan, p.data, {
        priority: begun.priority,
        traceContext: p.data.traceContext,
        attemptsBefore: attempt,
        delayMs,
        lease: p.lease,
      });
      return;
    }
    telemetry.log('error', `node '${nodeId}' failed: ${message}`);
    await this.recordSpan(p, telemetry, 'error', message);
    const stack =
      error instanceof Error && typeof error.stack === 'string'
        ? storableText(telemetry.mask(error.stack))
        : undefined;
    await this.#ctx.recorder.recordFailure(
      plan,
      base,
      { attempt, maybeChild, ...fenceOf(p) },
      { message, stack, inputData: begun.inputData },
    );
  }

  /** Writes the attempt's span as it ends now, with its log lines. */
  async recordSpan(
    p: Processing,
    telemetry: AttemptTelemetry,
    status: SpanStatus,
    error?: string,
  ): Promise<void> {
    const { span, logs } = telemetry.close(status, error);
    await this.#ctx.infra.run(
      `span of node '${span.nodeId}'`,
      () => this.#ctx.store.recordSpan(span, logs),
      p.lease,
    );
  }
}

/**
 * The error handed to BullMQ for a retry (which keeps its message and stack in Redis):
 * the executor's own, or — when it carries a secret value of the attempt — a copy with
 * the values masked.
 */
function maskedError(error: unknown, message: string, telemetry: AttemptTelemetry): Error {
  if (!(error instanceof Error)) return new Error(message);
  const stack = typeof error.stack === 'string' ? error.stack : '';
  if (message === errorMessage(error) && telemetry.mask(stack) === stack) return error;
  const copy = new Error(message);
  copy.stack = telemetry.mask(stack);
  return copy;
}
