import {
  type CompleteNodeResult,
  type ExecutionStore,
  type LogEntry,
  type NodeTelemetry,
  planNode,
  type WorkflowPlan,
} from '@spane/core';
import { waitingNodeTelemetry } from './attempt-telemetry.js';
import type { EngineChannel } from './engine-channel.js';
import type { EngineEvents } from './engine-events.js';
import type { Handoffs, ParentRun } from './handoffs.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import type { NodeRef, WaitingNodeRecorder } from './sub-workflow-node.js';

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

/** A completed attempt of a node. */
export interface CompletedAttempt {
  attempt: number;
  durationMs: number;
  /** The execution's priority (its ready children's jobs get it). */
  priority: number | undefined;
  /** Whether the execution may be a sub-workflow whose parent node waits. */
  maybeChild: boolean;
  /** This node's run, when its children may be handed to this process. */
  parentRun?: ParentRun | undefined;
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
  handoffs: Pick<Handoffs, 'startable' | 'handOffChildren' | 'drop'>;
  /** Abort orders go to every process (this one included) on the channel. */
  channel: Pick<EngineChannel, 'publish'>;
  finisher: ExecutionFinisher;
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
   * the execution finished) the execution's end — in that order.
   */
  async recordCompleted(
    plan: WorkflowPlan,
    base: NodeRef,
    run: CompletedAttempt,
    outcome: CompletedOutput,
    telemetry: NodeTelemetry,
  ): Promise<void> {
    const { handoffs } = this.#ctx;
    const ticket = run.parentRun ? handoffs.startable(plan, base.nodeId, run.parentRun) : undefined;
    let r: CompleteNodeResult;
    try {
      // The attempt's span and log lines go with the outcome, in one store write.
      r = await this.#ctx.store.completeNode(
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
    if (!r.recorded) return;
    if (r.started && r.started.length > 0 && ticket && run.parentRun) {
      handoffs.handOffChildren(
        plan,
        base.executionId,
        base.nodeId,
        r.started,
        ticket,
        outcome,
        run.parentRun,
      );
    }
    // Announce the completion before the children are queued, so a child's
    // node:started never precedes its parent's node:completed.
    this.#ctx.events.emit('node:completed', {
      ...base,
      attempt: run.attempt,
      durationMs: run.durationMs,
      timestamp: new Date().toISOString(),
    });
    await this.#ctx.enqueuer.enqueueNodes(plan, base.executionId, r.ready, base.tenantId, {
      priority: run.priority,
    });
    await this.#afterRecord(plan, base, r, run.maybeChild);
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
    await this.recordFailure(plan, base, run.attempt, message, undefined, undefined, maybeChild);
  }

  /** Records a node's final failure: dead-letter item, then the outcome (which may fail the execution). */
  async recordFailure(
    plan: WorkflowPlan,
    base: NodeRef,
    attempt: number,
    message: string,
    stack: string | undefined,
    inputData: unknown,
    maybeChild: boolean,
  ): Promise<void> {
    const { store } = this.#ctx;
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
    this.#ctx.events.emit('node:failed', {
      ...base,
      attempt,
      error: message,
      final: true,
      timestamp: new Date().toISOString(),
    });
    if (r.ready.length > 0) {
      const execution = await store.getExecution(base.executionId);
      await this.#ctx.enqueuer.enqueueNodes(plan, base.executionId, r.ready, base.tenantId, {
        priority: execution?.priority,
      });
    }
    await this.#afterRecord(plan, base, r, maybeChild, message);
  }

  /** Announces the nodes an outcome skipped and, when it finished the execution, its end. */
  async #afterRecord(
    plan: WorkflowPlan,
    base: NodeRef,
    r: CompleteNodeResult,
    maybeChild: boolean,
    error?: string,
  ): Promise<void> {
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
      events.emit('workflow:failed', { ...exec, error: error ?? 'failed', nodeId: base.nodeId });
      void log('error', `execution failed: ${error ?? ''}`).catch(() => {});
    }
    await this.#ctx.finisher.executionFinished(executionId, plan, status, maybeChild);
  }
}
