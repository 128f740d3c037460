import {
  type CompleteNodeResult,
  type EngineFaultCounts,
  type ExecutionStore,
  type LogEntry,
  type NodeTelemetry,
  planNode,
  type TraceContext,
  type WorkflowPlan,
} from '@spane/core';
import { isoTime } from '@spane/core/internal';
import { waitingNodeTelemetry } from './attempt-telemetry.js';
import type { CarriedChild, CarryChoice } from './carried-runs.js';
import type { EngineChannel } from './engine-channel.js';
import { completionMayLinger, type EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import type { Handoffs, ParentRun, StartTicket } from './handoffs.js';
import type { InfraRetry, RetryWhile } from './infra-retry.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import { failedEventId, type RecordedWork } from './recorded-work.js';
import type { RiderIndex } from './riders.js';
import type { NodeRef, WaitingNodeRecorder } from './sub-workflow-node.js';

/** No riders (one shared empty map). */
const NO_RIDERS: ReadonlyMap<string, readonly string[]> = new Map();

/** Told when an execution completed or failed (a node's outcome finished it). */
export interface ExecutionFinisher {
  /**
   * After an execution completed or failed. `maybeChild`: it may be a sub-workflow whose
   * parent node waits (a failure to tell that parent is thrown, so the job runs again).
   */
  executionFinished(
    executionId: string,
    plan: WorkflowPlan,
    status: 'completed' | 'failed',
    maybeChild: boolean,
  ): Promise<void>;
}

/** The run whose outcome is recorded, and what fences its writes. */
export interface RecordingRun {
  attempt: number;
  /** Whether the execution may be a sub-workflow whose parent node waits. */
  maybeChild: boolean;
  /** The run's token: the store refuses its outcome once another run holds the node. */
  runToken?: string | undefined;
  /** The run's job lock: store calls are retried only while it is held. */
  lease?: RetryWhile | undefined;
  /** The trace context the run's job carried: the ready children's jobs carry it on. */
  traceContext?: TraceContext | undefined;
}

/** A final failure's details. */
export interface FailureDetails {
  message: string;
  stack: string | undefined;
  /** The node's input, kept with its dead-letter item. */
  inputData: unknown;
}

/** A completed attempt of a node. */
export interface CompletedAttempt extends RecordingRun {
  durationMs: number;
  /** The execution's priority (its ready children's jobs get it). */
  priority: number | undefined;
  /** This node's run, when its children may be handed to this process. */
  parentRun?: ParentRun | undefined;
  /**
   * Which children this run's job may carry (see CarriedRuns): the first it accepts of
   * those the completion started (and any others `carry.many` accepts that find no free
   * worker slot) — else the first of those it made ready — get no job of their own here,
   * and are returned to run next in the same job, in order.
   */
  carry?: CarryChoice | undefined;
}

/** A completed node's output. */
export interface CompletedOutput {
  data: unknown;
  nextNodes?: string[] | undefined;
  /** `data` as JSON text, taken when the executor returned (for started children). */
  dataText?: string | undefined;
}

/** What {@link OutcomeRecorder} needs. */
export interface OutcomeRecorderContext {
  store: Pick<
    ExecutionStore,
    'completeNode' | 'addDLQItem' | 'removeDLQItem' | 'getExecution' | 'recordSpan' | 'appendLogs'
  >;
  events: Pick<EngineEvents, 'emit'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  handoffs: Pick<Handoffs, 'startable' | 'handOffChildren' | 'recording' | 'drop'>;
  /** Where the riders of started children's jobs are recorded (see RiderIndex). */
  riders: Pick<RiderIndex, 'record'>;
  /** Abort orders go to every process (this one included) on the channel. */
  channel: Pick<EngineChannel, 'publish'>;
  finisher: ExecutionFinisher;
  /** Retries of store and Redis calls (infrastructure errors). */
  infra: Pick<InfraRetry, 'run'>;
  /** Follows up an outcome whose write was retried and found already recorded. */
  recorded: Pick<RecordedWork, 'resume'>;
  logger: EngineLogger;
  /** Counts outcomes refused because another run holds the node. */
  faults: Pick<EngineFaultCounts, 'refusedOutcomes'>;
}

/**
 * Records a node's final outcome atomically in the store, then what follows from it, in
 * order: its events, its ready children's jobs (or handoffs to this process), skipped
 * nodes, and the execution's end (events, an abort order on failure, the finisher).
 */
export class OutcomeRecorder implements WaitingNodeRecorder {
  readonly #ctx: OutcomeRecorderContext;

  constructor(ctx: OutcomeRecorderContext) {
    this.#ctx = ctx;
  }

  /**
   * Records a completed node: its result, then the events, its ready children and (when
   * the execution finished) the execution's end — in that order. Returns the children the
   * run's job is to carry (they got no job), in order (see {@link CompletedAttempt.carry}).
   */
  async recordCompleted(
    plan: WorkflowPlan,
    base: NodeRef,
    run: CompletedAttempt,
    outcome: CompletedOutput,
    telemetry: NodeTelemetry,
  ): Promise<CarriedChild[]> {
    const { handoffs, infra } = this.#ctx;
    const { executionId, nodeId } = base;
    const ticket = run.parentRun
      ? handoffs.startable(plan, executionId, nodeId, run.parentRun, run.carry)
      : undefined;
    // Its output may be a join child's input here later (see Handoffs.recording).
    const held = run.parentRun && handoffs.recording(plan, executionId, nodeId, outcome);
    let calls = 0;
    let r: CompleteNodeResult | undefined;
    try {
      // The attempt's span and log lines go with the outcome, in one store write.
      const options = { start: ticket?.nodes, runToken: run.runToken, dataText: outcome.dataText };
      r = await infra.run(
        `completion of node '${base.nodeId}'`,
        () => {
          calls += 1;
          return this.#ctx.store.completeNode(
            plan,
            base.executionId,
            base.nodeId,
            { type: 'completed', data: outcome.data, nextNodes: outcome.nextNodes },
            telemetry,
            options,
          );
        },
        run.lease,
      );
    } finally {
      ticket?.release();
      held?.(r?.recorded === true);
    }
    if (!r.recorded) {
      await this.#notRecorded(plan, base, run, r, calls);
      return [];
    }
    const { carried, riders } = this.#handOff(plan, base, run, r, ticket, outcome);
    // Announce the completion before the children are queued, so a child's
    // node:started never precedes its parent's node:completed.
    this.#ctx.events.emit(
      'node:completed',
      { ...base, attempt: run.attempt, durationMs: run.durationMs, timestamp: isoTime() },
      { linger: completionMayLinger(plan, base.nodeId, r.ready) },
    );
    const started =
      run.runToken !== undefined && r.started
        ? { runToken: run.runToken, nodes: r.started, riders }
        : undefined;
    // The carried children and the riders get no job of their own.
    let ready = r.ready;
    if (carried.length > 0 || riders.size > 0) {
      const noJob = new Set(carried.map((c) => c.nodeId));
      for (const list of riders.values()) for (const id of list) noJob.add(id);
      ready = ready.filter((id) => !noJob.has(id));
    }
    const options = { priority: run.priority, started, traceContext: run.traceContext };
    const { tenantId } = base;
    const enqueue = () =>
      this.#ctx.enqueuer.enqueueNodes(plan, executionId, ready, tenantId, options);
    await infra.run(
      `enqueue of the children of node '${base.nodeId}'`,
      riders.size === 0
        ? enqueue
        : async () => {
            await Promise.all([this.#ctx.riders.record(executionId, riders), enqueue()]);
          },
      run.lease,
    );
    await this.#afterRecord(plan, base, r, run);
    return carried;
  }

  /**
   * Hands the children the completion started to this process (see Handoffs): returns
   * those this run's job carries next, in order — or, when it started none, the first
   * ready child it may carry (a join whose last parent this was: begun by the job in the
   * store) — and the riders of the started children's jobs (both carrier and rider
   * started: a child the store only queued gets a job of its own).
   */
  #handOff(
    plan: WorkflowPlan,
    base: NodeRef,
    run: CompletedAttempt,
    r: CompleteNodeResult,
    ticket: StartTicket | undefined,
    outcome: CompletedOutput,
  ): { carried: CarriedChild[]; riders: ReadonlyMap<string, readonly string[]> } {
    let carried: CarriedChild[] = [];
    let riders: ReadonlyMap<string, readonly string[]> = NO_RIDERS;
    const started = r.started ?? [];
    if (started.length > 0 && ticket && run.parentRun) {
      carried = ticket.carried
        .filter((id) => started.includes(id))
        .map((nodeId) => ({ nodeId, started: true }));
      if (run.runToken !== undefined && ticket.riders.size > 0) {
        const begun = new Set(started);
        const both = new Map<string, string[]>();
        for (const [carrier, list] of ticket.riders) {
          const ridden = begun.has(carrier) ? list.filter((id) => begun.has(id)) : [];
          if (ridden.length > 0) both.set(carrier, ridden);
        }
        riders = both;
      }
      const { parentRun } = run;
      this.#ctx.handoffs.handOffChildren(
        plan,
        base.executionId,
        base.nodeId,
        started,
        ticket,
        outcome,
        parentRun,
      );
    }
    if (carried.length === 0 && run.carry) {
      const id = r.ready.find((c) => !started.includes(c) && run.carry!(c));
      if (id !== undefined) {
        carried = [{ nodeId: id, started: false }];
        run.carry.took(1);
      }
    }
    return { carried, riders };
  }

  /**
   * An outcome the store did not record: refused because another run holds the node (this
   * run lost its lock; logged), or already recorded — by this very run when its write was
   * retried after a lost reply, whose follow-ups are then done now.
   */
  async #notRecorded(
    plan: WorkflowPlan,
    base: NodeRef,
    run: RecordingRun,
    r: CompleteNodeResult,
    calls: number,
  ): Promise<void> {
    if (r.fenced) {
      this.#ctx.faults.refusedOutcomes += 1;
      this.#ctx.logger.warn(
        `outcome of node '${base.nodeId}' (attempt ${run.attempt}) refused: another run holds the node`,
        { executionId: base.executionId },
      );
      return;
    }
    if (calls > 1) await this.#ctx.recorded.resume(plan, base, run.lease);
  }

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
    // No carry: the waiting node's children get jobs of their own.
    await this.recordCompleted(
      plan,
      base,
      { attempt: run.attempt, durationMs, priority: run.priority, maybeChild },
      { data },
      waitingNodeTelemetry(base, run.attempt, startedAt, 'info', message),
    );
  }

  async failWaiting(
    plan: WorkflowPlan,
    base: NodeRef,
    run: { attempt: number; startedAt: string | undefined },
    message: string,
    maybeChild: boolean,
  ): Promise<void> {
    const startedAt = run.startedAt ?? new Date().toISOString();
    const closed = waitingNodeTelemetry(
      base,
      run.attempt,
      startedAt,
      'error',
      `node '${base.nodeId}' failed: ${message}`,
      message,
    );
    await this.#ctx.store.recordSpan(closed.span, closed.logs);
    await this.recordFailure(
      plan,
      base,
      { attempt: run.attempt, maybeChild },
      { message, stack: undefined, inputData: undefined },
    );
  }

  /** Records a node's final failure: dead-letter item, then the outcome (which may fail the execution). */
  async recordFailure(
    plan: WorkflowPlan,
    base: NodeRef,
    run: RecordingRun,
    failure: FailureDetails,
  ): Promise<void> {
    const { store, infra } = this.#ctx;
    const { message, stack } = failure;
    const node = planNode(plan, base.nodeId);
    const dlq = node.continueOnFail
      ? undefined
      : await infra.run(
          `dead-letter item of node '${base.nodeId}'`,
          () =>
            store.addDLQItem({
              workflowId: base.workflowId,
              executionId: base.executionId,
              nodeId: base.nodeId,
              tenantId: base.tenantId,
              inputData: failure.inputData,
              error: message,
              ...(stack === undefined ? {} : { stack }),
              attempts: run.attempt,
            }),
          run.lease,
        );
    let calls = 0;
    const r = await infra.run(
      `failure of node '${base.nodeId}'`,
      () => {
        calls += 1;
        return store.completeNode(
          plan,
          base.executionId,
          base.nodeId,
          { type: 'failed', error: message },
          undefined,
          run.runToken === undefined ? undefined : { runToken: run.runToken },
        );
      },
      run.lease,
    );
    if (!r.recorded) {
      // This run's own retried write may have recorded it: keep the item then.
      if (dlq && (r.fenced || calls === 1)) {
        await infra.run('removal of a dead-letter item', () => store.removeDLQItem(dlq.id));
      }
      return this.#notRecorded(plan, base, run, r, calls);
    }
    this.#ctx.events.emit('node:failed', {
      ...base,
      attempt: run.attempt,
      error: message,
      final: true,
      timestamp: new Date().toISOString(),
    });
    if (r.ready.length > 0) {
      const execution = await infra.run(`read of execution ${base.executionId}`, () =>
        store.getExecution(base.executionId),
      );
      await infra.run(`enqueue after the failure of node '${base.nodeId}'`, () =>
        this.#ctx.enqueuer.enqueueNodes(plan, base.executionId, r.ready, base.tenantId, {
          priority: execution?.priority,
          traceContext: run.traceContext,
        }),
      );
    }
    await this.#afterRecord(plan, base, r, run, message);
  }

  /** Announces the nodes an outcome skipped and, when it finished the execution, its end. */
  async #afterRecord(
    plan: WorkflowPlan,
    base: NodeRef,
    r: CompleteNodeResult,
    run: RecordingRun,
    error?: string,
  ): Promise<void> {
    const { maybeChild } = run;
    const timestamp = new Date().toISOString();
    const { events } = this.#ctx;
    for (const s of r.skipped) {
      const type = plan.nodes.get(s.nodeId)?.type ?? 'unknown';
      events.emit('node:skipped', {
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
    const { executionId, workflowId, tenantId } = base;
    const exec = { executionId, workflowId, tenantId, timestamp };
    const log = (level: LogEntry['level'], message: string) =>
      this.#ctx.store.appendLogs([{ executionId, level, message, timestamp }]);
    if (status === 'completed') {
      events.emit('workflow:completed', exec);
      void log('info', 'execution completed').catch(() => {});
    } else {
      this.#ctx.handoffs.drop(executionId);
      this.#ctx.channel.publish({ kind: 'abort', executionId, reason: 'failed' });
      events.emit('workflow:failed', {
        ...exec,
        error: error ?? 'failed',
        nodeId: base.nodeId,
        eventId: failedEventId(base, run.attempt),
      });
      void log('error', `execution failed: ${error ?? ''}`).catch(() => {});
    }
    await this.#ctx.finisher.executionFinished(executionId, plan, status, maybeChild);
  }
}
