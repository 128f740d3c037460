import { setTimeout as sleep } from 'node:timers/promises';
import { type ExecutionState, isTerminalStatus } from './api-types.js';
import type { SpaneClient } from './client.js';
import { SpaneApiError, SpaneUnreachableError } from './client-errors.js';
import { ExecutionProgress } from './execution-progress.js';
import { readServerSentEvents } from './server-sent-events.js';

/** How {@link watchExecution} reports and stops. */
export interface WatchOptions {
  /** Stops the watch: its reason is thrown (a deadline, say). */
  signal?: AbortSignal;
  /** Called after every change of the progress. */
  onChange?: (progress: ExecutionProgress) => void;
  /** Times in a row the server may be unreachable before giving up. @defaultValue 5 */
  maxUnreachable?: number;
}

/** Pause before following again after a stream ended early: 0.25 s, doubling, at most 4 s. */
const backoffMs = (tries: number) => Math.min(4_000, 250 * 2 ** tries);

/**
 * Follows an execution until it ends and returns its final state: reads its event stream
 * (`GET /api/executions/:id/events`: the state first, engine events, the final state last).
 * A stream that ends or breaks before the run has ended (a restart of the server, a proxy's
 * idle timeout) is followed by a read of the state and a new stream.
 * @throws SpaneApiError when the server refuses (unknown execution, bad key)
 * @throws SpaneUnreachableError when the server did not answer `maxUnreachable` times in a row
 * @throws the signal's reason when `signal` aborts
 */
export async function watchExecution(
  client: SpaneClient,
  executionId: string,
  options: WatchOptions = {},
): Promise<ExecutionState> {
  const { signal, onChange = () => {}, maxUnreachable = 5 } = options;
  const progress = new ExecutionProgress();
  let unreachable = 0;
  for (let tries = 0; ; tries++) {
    try {
      const final = await followStream(client, executionId, progress, options);
      if (final) return final;
      unreachable = 0;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof SpaneApiError) throw err;
      if (err instanceof SpaneUnreachableError && ++unreachable >= maxUnreachable) throw err;
      // Otherwise the stream broke off: read the state below.
    }
    try {
      const state = await client.getExecution(executionId, signal);
      progress.setState(state);
      onChange(progress);
      if (isTerminalStatus(state.status)) return state;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (!(err instanceof SpaneUnreachableError) || ++unreachable >= maxUnreachable) throw err;
    }
    await sleep(backoffMs(tries), undefined, signal ? { signal } : {}).catch(() => {
      throw signal?.reason;
    });
  }
}

/** Reads one event stream; resolves to the final state, or `undefined` if it ended before. */
async function followStream(
  client: SpaneClient,
  executionId: string,
  progress: ExecutionProgress,
  { signal, onChange = () => {} }: WatchOptions,
): Promise<ExecutionState | undefined> {
  const body = await client.openEventStream(executionId, signal);
  for await (const { event, data } of readServerSentEvents(body)) {
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      continue;
    }
    if (event === 'state') {
      const state = payload as ExecutionState;
      progress.setState(state);
      onChange(progress);
      if (isTerminalStatus(state.status)) return state;
    } else if (event === 'error') {
      const { code, message } = payload as { code?: string; message?: string };
      throw new SpaneApiError(500, code ?? 'INTERNAL', message ?? 'the event stream failed');
    } else {
      progress.applyEvent(event, (payload ?? {}) as { nodeId?: unknown; final?: unknown });
      onChange(progress);
    }
  }
  return undefined;
}
