import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import { readEventStream } from '../api/sse.js';
import type { ExecutionState } from '../api/types.js';
import { applyFrame } from '../model/live-state.js';
import { isFinished } from '../model/status.js';

/** What {@link useLiveExecution} gives back. */
export interface LiveExecution {
  state: ExecutionState | undefined;
  error: string | undefined;
  /** `live` while the event stream is open, `ended` once the run ended, else `connecting`. */
  stream: 'connecting' | 'live' | 'ended';
  /** Re-reads the whole state (after an action). */
  refresh: () => void;
}

const REFRESH_DEBOUNCE_MS = 250;
const RETRY_MS = [500, 1000, 2000, 5000];
/**
 * While the run goes on, the whole state is also re-read this often: some changes have no
 * event of their own (a node starting to wait for a signal, a child run or a delay; a
 * queued node), and an event can be missed between two connections.
 */
const RESYNC_MS = 3000;

/**
 * One execution kept up to date: its state from `GET /api/executions/:id`, then every frame
 * of `GET /api/executions/:id/events` applied as it arrives (a node's colour turns at once);
 * when a node finishes, the state is re-read (debounced) for its output, and every 3 s while
 * the run goes on (changes without an event). A dropped stream is reopened (its first frame
 * is the whole state again) until the run has ended.
 */
export function useLiveExecution(executionId: string): LiveExecution {
  const { api } = useSession();
  const [state, setState] = useState<ExecutionState | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [stream, setStream] = useState<LiveExecution['stream']>('connecting');
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let timer: number | undefined;
    // The state as this effect last saw it, changed synchronously frame by frame.
    let current: ExecutionState | undefined;
    const show = (next: ExecutionState) => {
      current = next;
      setState(next);
    };
    const read = async () => {
      try {
        const next = await api.get<ExecutionState>(
          `/api/executions/${encodeURIComponent(executionId)}`,
          undefined,
          signal,
        );
        if (signal.aborted) return;
        // An answer older than what is shown (a slow read overtaken by another) is dropped.
        if (!current || next.version >= current.version) show(next);
        setError(undefined);
      } catch (e) {
        if (!signal.aborted) setError(describeError(e));
      }
    };
    const refreshSoon = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        void read();
      }, REFRESH_DEBOUNCE_MS);
    };
    refreshRef.current = () => void read();
    let ended = false;
    const follow = async () => {
      for (let failures = 0; !signal.aborted && !ended; ) {
        try {
          await readEventStream({
            url: api.url(`/api/executions/${encodeURIComponent(executionId)}/events`),
            headers: api.headers(),
            signal,
            onFrame: (frame) => {
              failures = 0;
              setStream('live');
              if (!current) {
                if (frame.event !== 'state') return;
                const first = JSON.parse(frame.data) as ExecutionState;
                ended = isFinished(first.status);
                show(first);
                return;
              }
              const applied = applyFrame(current, frame.event, frame.data);
              if (frame.event === 'state') ended = isFinished(applied.state.status);
              if (applied.state !== current) show(applied.state);
              if (applied.refresh) refreshSoon();
            },
          });
        } catch (e) {
          if (signal.aborted) return;
          failures += 1;
          if (failures > 2) setError(`live updates interrupted: ${describeError(e)}`);
        }
        if (signal.aborted) return;
        setStream(ended ? 'ended' : 'connecting');
        if (ended) return;
        const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
        await new Promise((r) => window.setTimeout(r, wait));
      }
    };
    setState(undefined);
    setStream('connecting');
    void read().then(() => follow());
    const resync = window.setInterval(() => {
      if (!ended && current && !isFinished(current.status)) void read();
    }, RESYNC_MS);
    return () => {
      window.clearInterval(resync);
      controller.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [api, executionId]);

  // The effect clears the state of the execution shown before only after the first render
  // with the new id: until then that state is not given out as this one's.
  const shown = state?.executionId === executionId ? state : undefined;
  return { state: shown, error, stream, refresh: () => refreshRef.current() };
}
