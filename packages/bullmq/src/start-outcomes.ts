import {
  type CreateExecutionInput,
  type CreateExecutionResult,
  EnqueueFailedError,
  EnqueueOutcomeUnknownError,
  ExecutionNotFoundError,
  type ExecutionStore,
  isSpaneError,
} from '@spane/core';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import type { Handoffs } from './handoffs.js';
import type { RunningNodes } from './running-nodes.js';

/** What {@link StartOutcomes} needs. */
export interface StartOutcomesContext {
  store: Pick<ExecutionStore, 'setExecutionStatus'>;
  handoffs: Pick<Handoffs, 'drop'>;
  runs: Pick<RunningNodes, 'abortExecution'>;
  events: Pick<EngineEvents, 'emit'>;
  logger: EngineLogger;
}

/** What became of one execution of a start that failed. */
type Fate = 'none' | 'cancelled' | 'unknown';

/**
 * The outcome of starts that failed half-way (a store or Redis error): each execution the
 * call may have created is either cancelled in the store — so that nothing of it runs,
 * whatever jobs reach Redis later — or, when that cannot be ensured, reported as unknown.
 * An execution with an idempotency key is kept as it is: a retry with the key returns it
 * and queues what is missing (see ExecutionStarter), which a cancellation would prevent.
 */
export class StartOutcomes {
  readonly #ctx: StartOutcomesContext;

  constructor(ctx: StartOutcomesContext) {
    this.#ctx = ctx;
  }

  /**
   * Settles the executions of a failed start and returns the error to reject with:
   * `cause` itself when it is a SPANE error of the store that created nothing (a refusal,
   * not a fault), else EnqueueFailedError (nothing will run) or EnqueueOutcomeUnknownError.
   * `inputs[i]` (each with its `executionId`) was created as `creates[i]` says — undefined
   * when the call was never answered.
   */
  async failed(
    inputs: readonly CreateExecutionInput[],
    creates: readonly (PromiseSettledResult<CreateExecutionResult> | undefined)[],
    cause: unknown,
  ): Promise<Error> {
    const fates = await Promise.all(inputs.map((input, i) => this.#settle(input, creates[i])));
    const ids = (fate: Fate) =>
      inputs.filter((_, i) => fates[i] === fate).map((input) => input.executionId!);
    const unknown = ids('unknown');
    if (unknown.length > 0) return new EnqueueOutcomeUnknownError(unknown, cause);
    const refusal = isSpaneError(cause) && creates.some((c) => c?.status === 'rejected');
    if (refusal && ids('cancelled').length === 0) return cause as Error;
    return new EnqueueFailedError(ids('cancelled'), cause);
  }

  async #settle(
    input: CreateExecutionInput,
    create: PromiseSettledResult<CreateExecutionResult> | undefined,
  ): Promise<Fate> {
    // The store refused it: nothing was created.
    if (create?.status === 'rejected' && isSpaneError(create.reason)) return 'none';
    if (create?.status === 'fulfilled') {
      // An execution this call did not create is not this call's to cancel.
      if (!create.value.created) return 'unknown';
      if (input.idempotencyKey !== undefined) return 'unknown';
      return this.#cancel(create.value.execution.executionId);
    }
    // The create failed or was not answered: it may have been written all the same.
    if (input.idempotencyKey !== undefined) return 'unknown';
    return this.#cancel(input.executionId!);
  }

  /** Cancels an execution whose start failed; 'none' when it was never created. */
  async #cancel(executionId: string): Promise<Fate> {
    const { store, handoffs, runs, events, logger } = this.#ctx;
    // Its entry jobs, if they reach this process, begin in the store (which refuses them).
    handoffs.drop(executionId);
    const reason = 'ENQUEUE_FAILED';
    try {
      const state = await store.setExecutionStatus(executionId, 'cancelled', { error: reason });
      runs.abortExecution(executionId, 'cancelled');
      events.emit('workflow:cancelled', { ...executionEvent(state), reason });
      return 'cancelled';
    } catch (err) {
      if (err instanceof ExecutionNotFoundError) return 'none';
      logger.warn('could not cancel an execution whose start failed', {
        executionId,
        error: (err as Error).message,
      });
      return 'unknown';
    }
  }
}
