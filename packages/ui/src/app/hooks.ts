import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api/client.js';

/** What {@link useLoad} gives back. */
export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** The same dependencies, element by element. */
function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((d, i) => Object.is(d, b[i]));
}

/**
 * Runs `load` when `deps` change (and on `reload`); an older load that finishes late is
 * ignored. A `reload` keeps the last data (or error) while it runs; new `deps` do not:
 * what was loaded for other deps (another execution, other filters) is never given out as
 * theirs.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<{ data: T; deps: unknown[] } | undefined>(undefined);
  const [failed, setFailed] = useState<{ error: string; deps: unknown[] } | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setLoaded({ data: value, deps });
        setFailed(undefined);
      })
      .catch((e) => {
        if (!controller.signal.aborted) setFailed({ error: describeError(e), deps });
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [...deps, tick]);
  const data = loaded !== undefined && sameDeps(loaded.deps, deps) ? loaded.data : undefined;
  const error = failed !== undefined && sameDeps(failed.deps, deps) ? failed.error : undefined;
  return { data, error, loading, reload };
}

/** Calls `fn` every `ms` while mounted (and while `active`). */
export function useInterval(fn: () => void, ms: number, active = true): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

/** The time now, re-read every `ms` while `active` (for live durations). */
export function useNow(ms: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), ms, active);
  return now;
}
