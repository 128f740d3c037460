import {
  assertPayloadSize,
  DEFAULT_TENANT,
  ExecutionNotFoundError,
  type ExecutionStore,
  isTerminalStatus,
  SignalRejectedError,
  type SignalRejection,
  type TenantScope,
  UnknownSignalError,
  type WaitForSignalNodeConfig,
  type WorkflowPlan,
} from '@spane/core';
import { isFinalNodeStatus } from '@spane/core/store';
import type { EngineLogger } from './engine-options.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { PlanSource } from './plan-source.js';
import { WAIT_FOR_SIGNAL_NODE } from './signal-wait.js';
import { tenantOf } from './tenant-guard.js';

/** What {@link ExecutionSignals} needs. */
export interface ExecutionSignalsContext {
  store: Pick<ExecutionStore, 'getExecution' | 'getSignal' | 'recordSignal'>;
  plans: Pick<PlanSource, 'getPlan'>;
  queues: Pick<NodeQueues, 'forNode'>;
  /** The largest payload (JSON bytes). */
  maxPayloadBytes: number;
  logger: EngineLogger;
}

/**
 * `engine.signal`: records the first signal of a name for an execution (the store keeps
 * it, first wins) and wakes the `wait-for-signal` node of that name if it waits. A signal
 * sent before the node waits is kept until it does.
 */
export class ExecutionSignals {
  readonly #ctx: ExecutionSignalsContext;

  constructor(ctx: ExecutionSignalsContext) {
    this.#ctx = ctx;
  }

  /**
   * Sends the signal `name` with `payload` (undefined: null) to an execution of the
   * scope's tenant.
   * @throws ExecutionNotFoundError | UnknownSignalError | SignalRejectedError |
   * PayloadTooLargeError | PayloadNotStorableError
   */
  async signal(
    executionId: string,
    name: string,
    payload: unknown,
    scope: TenantScope | undefined,
  ): Promise<void> {
    const { store } = this.#ctx;
    const tenantId = tenantOf(scope);
    const state = await store.getExecution(executionId, tenantId);
    if (!state || (state.tenantId ?? DEFAULT_TENANT) !== tenantId) {
      throw new ExecutionNotFoundError(executionId);
    }
    const plan = await this.#ctx.plans.getPlan(
      state.tenantId,
      state.workflowId,
      state.workflowVersion,
    );
    const nodeId = waitingNodeOf(plan, name);
    if (nodeId === undefined) throw new UnknownSignalError(executionId, name);
    const refuse = (reason: SignalRejection) => new SignalRejectedError(executionId, name, reason);
    if (isTerminalStatus(state.status)) throw refuse('execution-finished');
    if (isFinalNodeStatus(state.nodeResults[nodeId]?.status)) {
      const kept = await store.getSignal(executionId, name);
      throw refuse(kept ? rejectionOf(kept.kind) : 'node-finished');
    }
    const value = payload === undefined ? null : payload;
    assertPayloadSize(`payload of signal '${name}'`, value, this.#ctx.maxPayloadBytes);
    const result = await store.recordSignal(
      executionId,
      { name, kind: 'signal', payload: value },
      tenantId,
    );
    if (!result) throw new ExecutionNotFoundError(executionId);
    if (!result.recorded) throw refuse(rejectionOf(result.signal.kind));
    await this.#wake(plan, executionId, nodeId);
  }

  /**
   * Promotes the node's job if it sleeps in the delayed set (its wait, or parked by a
   * pause: it then parks again and consumes the signal after the resume). A job that is
   * not there yet finds the signal when it starts waiting. Recorded is recorded: a wake
   * that fails is logged, the job then finds the signal at its next look.
   */
  async #wake(plan: WorkflowPlan, executionId: string, nodeId: string): Promise<void> {
    try {
      const job = await this.#ctx.queues
        .forNode(plan, nodeId)
        .getJob(nodeJobId(executionId, nodeId));
      if (job && (await job.isDelayed())) await job.promote().catch(() => {});
    } catch (err) {
      this.#ctx.logger.warn(`could not wake node '${nodeId}' for its signal`, {
        executionId,
        error: (err as Error).message,
      });
    }
  }
}

/** The `wait-for-signal` node of the plan named `name`, if any. */
function waitingNodeOf(plan: WorkflowPlan, name: string): string | undefined {
  return plan.definition.nodes.find(
    (node) =>
      node.type === WAIT_FOR_SIGNAL_NODE &&
      (node.config as Partial<WaitForSignalNodeConfig> | undefined)?.name === name,
  )?.id;
}

function rejectionOf(kind: 'signal' | 'timeout'): SignalRejection {
  return kind === 'signal' ? 'already-received' : 'timed-out';
}
