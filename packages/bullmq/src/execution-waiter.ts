import {
  ExecutionNotFoundError,
  type ExecutionState,
  type ExecutionStore,
  isTerminalStatus,
  SpaneError,
} from '@spane/core';
import type { EngineChannel } from './engine-channel.js';
import type { EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';

const TERMINAL_EVENTS = ['workflow:completed', 'workflow:failed', 'workflow:cancelled'] as const;

/** What {@link waitForExecution} needs. */
export interface ExecutionWaiterContext {
  store: Pick<ExecutionStore, 'getExecution' | 'getExecutionSummary'>;
  channel: Pick<EngineChannel, 'open'>;
  events: Pick<EngineEvents, 'on'>;
  logger: EngineLogger;
}

/**
 * Resolves with the execution's state once it is `completed`, `failed` or `cancelled`:
 * read again whenever an end event of it is heard, and now and then in case one was lost.
 * @throws ExecutionNotFoundError | SpaneError (code `TIMEOUT`) after `timeoutMs`
 */
export async function waitForExecution(
  ctx: ExecutionWaiterContext,
  executionId: string,
  timeoutMs: number,
): Promise<ExecutionState> {
  await ctx.channel.open();
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
    // The light read (no node outputs) until the run has ended; then the whole state.
    const check = (): void => {
      ctx.store
        .getExecutionSummary(executionId)
        .then((summary) =>
          summary && isTerminalStatus(summary.status)
            ? ctx.store.getExecution(executionId)
            : summary,
        )
        .then(
          (state) => {
            if (!state) finish(() => reject(new ExecutionNotFoundError(executionId)));
            else if (isTerminalStatus(state.status)) finish(() => resolve(state as ExecutionState));
          },
          // A store that is briefly unreachable (a database restart) is not the end of
          // the wait: the next event or re-check reads again, until the timeout.
          (err: unknown) =>
            ctx.logger.warn('waitForExecution: store read failed', {
              executionId,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
    };
    for (const name of TERMINAL_EVENTS) {
      offs.push(ctx.events.on(name, (p) => p.executionId === executionId && check()));
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
