import {
  DLQItemNotFoundError,
  type EngineEventInput,
  ExecutionNotFoundError,
  type ExecutionState,
  type ExecutionStore,
  InvalidArgumentError,
  InvalidTransitionError,
  type LogEntry,
  NodeNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { settleAll } from './bounded-wait.js';
import { unfinishedChildren } from './child-executions.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { EngineChannel } from './engine-channel.js';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import type { Handoffs } from './handoffs.js';
import type { JobRemoval } from './job-removal.js';
import { MAP_NODE } from './map-node.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { ExecutionFinisher } from './outcome-recorder.js';
import type { ParkedJobs } from './parked-jobs.js';
import type { PlanSource } from './plan-source.js';
import type { RunningNodes } from './running-nodes.js';
import { type ChildCanceller, SUB_WORKFLOW_NODE } from './sub-workflow-node.js';
import { storedTraceContext } from './tracing.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** Told when an execution ended that may be a sub-workflow whose parent node waits. */
export interface ChildWatcher {
  /** Completes or fails the parent node that waits for this execution, if any. */
  onFinished(executionId: string): Promise<void>;
}

/** What {@link ExecutionControl} needs. */
export interface ExecutionControlContext {
  store: Pick<
    ExecutionStore,
    | 'getExecution'
    | 'setExecutionStatus'
    | 'setNodeStatus'
    | 'listExecutions'
    | 'appendLogs'
    | 'getDLQItem'
    | 'retryFailedNode'
    | 'removeDLQItem'
  >;
  plans: Pick<PlanSource, 'getPlan'>;
  events: Pick<EngineEvents, 'emit'>;
  /** Abort orders go to every process on the channel. */
  channel: Pick<EngineChannel, 'publish'>;
  runs: Pick<RunningNodes, 'abortExecution'>;
  handoffs: Pick<Handoffs, 'drop'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  removal: Pick<JobRemoval, 'removeNodeJobs'>;
  parked: Pick<ParkedJobs, 'wakeAll' | 'forget'>;
  timeouts: Pick<WorkflowTimeouts, 'disarm'>;
  gate: Pick<ConcurrencyGate, 'forget'>;
  queues: Pick<NodeQueues, 'forNode'>;
  logger: EngineLogger;
}

/**
 * What happens to running executions: pause, resume and cancel (of one execution and its
 * sub-workflows; their jobs removed, their running nodes aborted in every process), the
 * end of an execution (timeout job, children of a failed run, the waiting parent), workflow
 * timeouts, re-queued nodes and dead-letter retries.
 */
export class ExecutionControl implements ExecutionFinisher, ChildCanceller {
  readonly #ctx: ExecutionControlContext;
  #children: ChildWatcher | undefined;

  constructor(ctx: ExecutionControlContext) {
    this.#ctx = ctx;
  }

  /**
   * Connects the sub-workflows, which wait for the executions this controls and which
   * this cancels (they in turn cancel through this): set once, while the engine is built.
   */
  watchChildren(children: ChildWatcher): void {
    this.#children = children;
  }

  get #watcher(): ChildWatcher {
    if (!this.#children) throw new Error('ExecutionControl: watchChildren() was not called');
    return this.#children;
  }

  /** The execution's state. @throws ExecutionNotFoundError */
  async requireExecution(executionId: string): Promise<ExecutionState> {
    const execution = await this.#ctx.store.getExecution(executionId);
    if (!execution) throw new ExecutionNotFoundError(executionId);
    return execution;
  }

  /** Pauses an execution: no new node starts. @throws ExecutionNotFoundError | InvalidTransitionError */
  async pause(executionId: string): Promise<void> {
    const state = await this.#ctx.store.setExecutionStatus(executionId, 'paused');
    this.#ctx.handoffs.drop(executionId);
    this.#ctx.events.emit('workflow:paused', executionEvent(state));
    // Its sub-workflows and map items pause with it.
    for await (const children of unfinishedChildren(this.#ctx.store, state)) {
      await settleAll(children.map((c) => this.pauseChild(c.executionId)));
    }
  }

  /** Pauses a child execution (and its children) unless it is not running. */
  async pauseChild(executionId: string): Promise<void> {
    await this.pause(executionId).catch(ignoreInvalidTransition);
  }

  /** Continues a paused execution. @throws ExecutionNotFoundError | InvalidTransitionError */
  async resume(executionId: string): Promise<void> {
    const state = await this.#ctx.store.setExecutionStatus(executionId, 'running');
    await this.#releaseParked(state);
    this.#ctx.events.emit('workflow:resumed', executionEvent(state));
    for await (const children of unfinishedChildren(this.#ctx.store, state)) {
      const paused = children.filter((c) => c.status === 'paused');
      await settleAll(paused.map((c) => this.resume(c.executionId).catch(ignoreInvalidTransition)));
    }
  }

  /** Wakes the jobs workers parked while the execution was paused, and re-adds lost ones. */
  async #releaseParked(state: ExecutionState): Promise<void> {
    const { executionId, tenantId } = state;
    const plan = await this.#ctx.plans.getPlan(tenantId, state.workflowId, state.workflowVersion);
    await this.#ctx.parked.wakeAll(executionId, plan);
    const queued = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'queued')
      .map(([id]) => id);
    const missing: string[] = [];
    for (const nodeId of queued) {
      const jobId = nodeJobId(executionId, nodeId);
      if ((await this.#ctx.queues.forNode(plan, nodeId).getJobState(jobId)) === 'unknown')
        missing.push(nodeId);
    }
    if (missing.length > 0) {
      await this.#ctx.enqueuer.enqueueNodes(plan, executionId, missing, tenantId, {
        priority: state.priority,
        traceContext: storedTraceContext(state),
      });
    }
  }

  /**
   * Cancels an execution (`error`: why, for a timeout): aborts its running nodes
   * everywhere, removes its jobs, cancels its children and tells a waiting parent.
   * @throws ExecutionNotFoundError | InvalidTransitionError
   */
  async cancel(executionId: string, error?: string): Promise<void> {
    const options = error === undefined ? {} : { error };
    const state = await this.#ctx.store.setExecutionStatus(executionId, 'cancelled', options);
    this.#ctx.channel.publish({ kind: 'abort', executionId, reason: 'cancelled' });
    this.#ctx.runs.abortExecution(executionId, 'cancelled');
    await this.#removeJobs(state);
    const payload: EngineEventInput<'workflow:cancelled'> = executionEvent(state);
    if (error !== undefined) payload.reason = error;
    this.#ctx.events.emit('workflow:cancelled', payload);
    await this.#appendLog(
      state,
      'warn',
      error === undefined ? 'execution cancelled' : `execution cancelled: ${error}`,
    );
    await this.#cancelChildren(state);
    // A cancelled sub-workflow fails the node that waits for it.
    if (state.parentExecutionId !== undefined) await this.#watcher.onFinished(executionId);
  }

  async cancelChild(executionId: string): Promise<void> {
    await this.cancel(executionId).catch(ignoreInvalidTransition);
  }

  /** Cancels the unfinished child executions (sub-workflows) of an execution. */
  async #cancelChildren(state: Pick<ExecutionState, 'executionId' | 'tenantId'>): Promise<void> {
    for await (const children of unfinishedChildren(this.#ctx.store, state)) {
      await settleAll(children.map((c) => this.cancelChild(c.executionId)));
    }
  }

  /** Removes every job of a finished execution, waiting (bounded) for running ones to leave. */
  async #removeJobs(state: ExecutionState): Promise<void> {
    const { executionId, tenantId } = state;
    await this.#ctx.timeouts.disarm(executionId);
    await this.#ctx.parked.forget(executionId);
    const nodeIds = Object.entries(state.nodeResults)
      .filter(([, n]) => n.status === 'cancelled')
      .map(([nodeId]) => nodeId);
    const plan = await this.#ctx.plans.getPlan(tenantId, state.workflowId, state.workflowVersion);
    const pending = await this.#ctx.removal.removeNodeJobs(plan, executionId, nodeIds);
    // Removed jobs give back their maxConcurrency slots and places in line.
    await this.#ctx.gate.forget(
      plan,
      tenantId,
      nodeIds
        .filter((nodeId) => !pending.includes(nodeJobId(executionId, nodeId)))
        .map((nodeId) => ({
          queue: this.#ctx.queues.forNode(plan, nodeId).name,
          jobId: nodeJobId(executionId, nodeId),
        })),
    );
    if (pending.length > 0) {
      this.#ctx.logger.warn('jobs still running after cancel', { executionId, jobs: pending });
    }
  }

  async executionFinished(
    executionId: string,
    plan: WorkflowPlan,
    status: 'completed' | 'failed',
    maybeChild: boolean,
  ): Promise<void> {
    if (plan.definition.timeoutMs !== undefined) await this.#ctx.timeouts.disarm(executionId);
    if (status === 'failed' && plan.definition.nodes.some((n) => HAS_CHILDREN.has(n.type))) {
      // A failed run does not wait for its sub-workflows.
      const state = await this.#ctx.store.getExecution(executionId);
      if (state) {
        await this.#cancelChildren(state).catch((err: Error) =>
          this.#ctx.logger.warn('could not cancel sub-workflows', { error: err.message }),
        );
      }
    }
    // Errors here are thrown: the job that finished the execution then runs again and
    // tells the parent from there.
    if (maybeChild) await this.#watcher.onFinished(executionId);
  }

  /** An execution's workflow `timeoutMs` passed: cancel it unless it ended. */
  async workflowTimedOut(executionId: string): Promise<void> {
    try {
      await this.cancel(executionId, 'TIMEOUT');
    } catch (err) {
      ignoreInvalidTransition(err);
    }
  }

  /**
   * Queues one node of an existing execution (its input comes from its parents).
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError | InvalidTransitionError
   */
  async enqueueNode(executionId: string, workflowId: string, nodeId: string): Promise<void> {
    const execution = await this.requireExecution(executionId);
    if (execution.workflowId !== workflowId) {
      throw new InvalidArgumentError(
        `execution '${executionId}' is not of workflow '${workflowId}'`,
      );
    }
    const { tenantId } = execution;
    const plan = await this.#ctx.plans.getPlan(tenantId, workflowId, execution.workflowVersion);
    if (!plan.nodes.has(nodeId)) throw new NodeNotFoundError(nodeId, `workflow '${workflowId}'`);
    if (!(await this.#ctx.store.setNodeStatus(executionId, nodeId, 'queued'))) {
      throw new InvalidTransitionError(
        execution.nodeResults[nodeId]?.status ?? 'unknown',
        'queued',
        `node '${nodeId}'`,
      );
    }
    await this.#ctx.enqueuer.enqueueNodes(plan, executionId, [nodeId], tenantId, {
      priority: execution.priority,
      traceContext: storedTraceContext(execution),
    });
  }

  /**
   * Runs a dead-lettered node again with a fresh set of attempts.
   * @throws DLQItemNotFoundError | InvalidTransitionError (the execution is no longer failed)
   */
  async retryDLQItem(id: string): Promise<void> {
    const { store } = this.#ctx;
    const item = await store.getDLQItem(id);
    if (!item) throw new DLQItemNotFoundError(id);
    const { executionId } = item;
    const before = await this.requireExecution(executionId);
    const revived = await store.retryFailedNode(executionId, item.nodeId);
    if (!revived) throw new InvalidTransitionError(before.status, 'running');
    await store.removeDLQItem(id);
    const { tenantId } = before;
    const plan = await this.#ctx.plans.getPlan(tenantId, before.workflowId, before.workflowVersion);
    const baseAttempts: Record<string, number> = {};
    for (const nodeId of revived.ready) {
      baseAttempts[nodeId] = before.nodeResults[nodeId]?.attempts ?? 0;
    }
    // The failed run's jobs may still be finishing (the failure is recorded, and its
    // event heard, before the job leaves Redis); a job id that still exists would make
    // the re-add below a no-op and strand the node in `queued`.
    const stuck = await this.#ctx.removal.removeNodeJobs(plan, executionId, revived.ready);
    if (stuck.length > 0) {
      this.#ctx.logger.warn('jobs of a retried execution still running', {
        executionId,
        jobs: stuck,
      });
    }
    await this.#ctx.enqueuer.enqueueNodes(plan, executionId, revived.ready, tenantId, {
      priority: before.priority,
      baseAttempts,
      traceContext: storedTraceContext(before),
    });
    await this.#appendLog(
      before,
      'info',
      `retrying node '${item.nodeId}' from the dead letter queue`,
    );
  }

  async #appendLog(state: ExecutionState, level: LogEntry['level'], message: string) {
    await this.#ctx.store.appendLogs([
      { executionId: state.executionId, level, message, timestamp: new Date().toISOString() },
    ]);
  }
}

/** Node types whose runs start child executions. */
const HAS_CHILDREN: ReadonlySet<string> = new Set([SUB_WORKFLOW_NODE, MAP_NODE]);

function ignoreInvalidTransition(err: unknown): void {
  if (!(err instanceof InvalidTransitionError)) throw err;
}
