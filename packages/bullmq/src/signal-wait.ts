import {
  type ExecutionSignal,
  type ExecutionStore,
  type NodeDefinition,
  NonRetryableError,
  type ValidationIssue,
  type WaitForSignalNodeConfig,
  type WorkflowDefinition,
} from '@spane/core';
import { DelayedError, type Job } from 'bullmq';
import type { Settled } from './attempt-result.js';
import type { AttemptTelemetry, SpanStatus } from './attempt-telemetry.js';
import type { InfraRetry } from './infra-retry.js';
import type { JobLease } from './job-leases.js';
import type { NodeJobData } from './node-jobs.js';

/** The built-in node type that waits, durably, for a named signal (`engine.signal`). */
export const WAIT_FOR_SIGNAL_NODE = 'wait-for-signal';

/** A wait without a timeout looks again this often (a signal wakes it at once). */
const RECHECK_MS = 6 * 60 * 60 * 1000;

/** The output of a `wait-for-signal` node whose wait timed out with `onTimeout: 'continue'`. */
export const TIMED_OUT_OUTPUT = Object.freeze({ timedOut: true });

/** What {@link SignalWaits} needs. */
export interface SignalWaitsContext {
  store: Pick<ExecutionStore, 'getSignal' | 'recordSignal' | 'setNodeStatus' | 'recordSpan'>;
  /** Retries of the store calls (infrastructure errors). */
  infra: Pick<InfraRetry, 'run'>;
}

/** The processing of a `wait-for-signal` node's job: its job, lock and run. */
export interface SignalWaitRun {
  job: Job<NodeJobData>;
  /** BullMQ's lock token of the job. */
  token: string | undefined;
  /** The run's token in the store: a woken wait continues the same run. */
  runToken: string;
  lease: JobLease;
}

/**
 * The attempt of a `wait-for-signal` node. Its job waits in BullMQ's delayed set (no
 * worker slot) until its timeout — or until `engine.signal` promotes it — with its node
 * `delayed`, so the reconciler re-adds a lost job. The first signal of the node's name
 * completes it with the signal's payload; a timeout claims the name first (a `timeout`
 * record), so exactly one of the two wins. A signal sent before the node waits is kept
 * and consumed when it starts. The timeout is an absolute time kept in the job's data: a
 * pause, a restart or an early wake never moves it.
 */
export class SignalWaits {
  readonly #ctx: SignalWaitsContext;

  constructor(ctx: SignalWaitsContext) {
    this.#ctx = ctx;
  }

  /** Settles the node (signal or timeout) or puts its job back to sleep (throws `DelayedError`). */
  async settle(
    p: SignalWaitRun,
    node: Readonly<NodeDefinition>,
    telemetry: AttemptTelemetry,
    startedAt: Date,
  ): Promise<Settled> {
    const { job, token } = p;
    const data = job.data;
    const config = node.config as WaitForSignalNodeConfig;
    const kept = await this.#kept(p, config.name);
    if (kept) return outcome(kept, config);
    const woken = data.signalWait === true;
    const timeoutAt = woken
      ? data.delayWakeAt
      : config.timeoutMs === undefined
        ? undefined
        : startedAt.getTime() + config.timeoutMs;
    if (timeoutAt !== undefined && timeoutAt <= Date.now()) return this.#timedOut(p, config);
    if (!woken) {
      await job.updateData({
        ...data,
        signalWait: true,
        ...(timeoutAt === undefined ? {} : { delayWakeAt: timeoutAt }),
        delayStartedAt: startedAt.getTime(),
        delayRunToken: p.runToken,
      });
    }
    const until = timeoutAt === undefined ? '' : ` until ${new Date(timeoutAt).toISOString()}`;
    telemetry.log('info', `node '${data.nodeId}' waits for signal '${config.name}'${until}`);
    await this.#recordSpan(p, telemetry, 'running');
    await job.moveToDelayed(
      Math.min(timeoutAt ?? Number.POSITIVE_INFINITY, Date.now() + RECHECK_MS),
      token,
    );
    // Once `delayed` is visible its job is in the delayed set (see the delay node).
    await this.#ctx.infra.run(
      `status of node '${data.nodeId}'`,
      () =>
        this.#ctx.store.setNodeStatus(data.executionId, data.nodeId, 'delayed', {
          runToken: p.runToken,
        }),
      p.lease,
    );
    // A signal recorded before the job was in the delayed set found nothing to promote:
    // look again now that it is (engine.signal promotes after recording, so one of the
    // two always wakes the job).
    if (await this.#kept(p, config.name)) await job.promote().catch(() => {});
    throw new DelayedError();
  }

  /** The signal kept under the node's name, if any. */
  #kept(p: SignalWaitRun, name: string): Promise<ExecutionSignal | null> {
    const { executionId, nodeId } = p.job.data;
    return this.#ctx.infra.run(
      `signal of node '${nodeId}'`,
      () => this.#ctx.store.getSignal(executionId, name),
      p.lease,
    );
  }

  /** The wait's time is up: claims the name with a timeout, unless a signal came first. */
  async #timedOut(p: SignalWaitRun, config: WaitForSignalNodeConfig): Promise<Settled> {
    const { executionId, nodeId } = p.job.data;
    const claim = await this.#ctx.infra.run(
      `timeout of node '${nodeId}'`,
      () =>
        this.#ctx.store.recordSignal(executionId, {
          name: config.name,
          kind: 'timeout',
          payload: null,
        }),
      p.lease,
    );
    if (!claim) {
      return { kind: 'error', error: new NonRetryableError(`execution '${executionId}' is gone`) };
    }
    return outcome(claim.signal, config);
  }

  async #recordSpan(p: SignalWaitRun, telemetry: AttemptTelemetry, status: SpanStatus) {
    const { span, logs } = telemetry.close(status);
    await this.#ctx.infra.run(
      `span of node '${span.nodeId}'`,
      () => this.#ctx.store.recordSpan(span, logs),
      p.lease,
    );
  }
}

/**
 * How the kept record settles the node: a signal completes it with its payload; a timeout
 * fails it for good (`onTimeout: 'fail'`, the default) or completes it with
 * {@link TIMED_OUT_OUTPUT} (`'continue'`).
 */
function outcome(kept: ExecutionSignal, config: WaitForSignalNodeConfig): Settled {
  if (kept.kind === 'signal') {
    return { kind: 'result', result: { success: true, data: kept.payload ?? null } };
  }
  if (config.onTimeout === 'continue') {
    return { kind: 'result', result: { success: true, data: { ...TIMED_OUT_OUTPUT } } };
  }
  const error = new NonRetryableError(
    `no signal '${config.name}' within ${config.timeoutMs ?? 0} ms`,
  );
  return { kind: 'error', error };
}

/**
 * The workflow-level check of `wait-for-signal` nodes: their names must be unique in the
 * workflow (a signal addresses its node by name). One `DUPLICATE_SIGNAL_NAME` issue per
 * node that repeats an earlier node's name.
 */
export function signalNameIssues(definition: WorkflowDefinition): ValidationIssue[] {
  const first = new Map<string, string>();
  const issues: ValidationIssue[] = [];
  definition.nodes.forEach((node, index) => {
    if (node.type !== WAIT_FOR_SIGNAL_NODE) return;
    const name = (node.config as Partial<WaitForSignalNodeConfig> | undefined)?.name;
    if (typeof name !== 'string') return;
    const earlier = first.get(name);
    if (earlier === undefined) {
      first.set(name, node.id);
      return;
    }
    issues.push({
      path: `/nodes/${index}/config/name`,
      code: 'DUPLICATE_SIGNAL_NAME',
      message: `signal name '${name}' is already the name of wait-for-signal node '${earlier}'`,
      severity: 'error',
    });
  });
  return issues;
}
