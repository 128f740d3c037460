import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import type { QueueStats } from '../api/types.js';
import { useInterval } from '../hooks.js';
import { POLL_MS, pushSample, type Sample, sampleOf } from '../model/series.js';
import { QueueChart } from './QueueChart.js';

/** What `GET /api/stats` answers. */
interface StatsAnswer {
  queue: Omit<QueueStats, 'dlq' | 'workers'>;
  dlq: number;
  workers?: { live: number; stuck: number };
}

const COUNTS: { key: keyof StatsAnswer['queue']; label: string }[] = [
  { key: 'waiting', label: 'Waiting' },
  { key: 'active', label: 'Active' },
  { key: 'delayed', label: 'Delayed' },
  { key: 'prioritized', label: 'Prioritized' },
  { key: 'paused', label: 'Paused' },
  { key: 'completed', label: 'Completed (kept)' },
  { key: 'failed', label: 'Failed (kept)' },
];

/** Polls `GET /api/stats` every 2 s while mounted: the latest answer, the samples, the last error. */
function useStatsPolling() {
  const { api } = useSession();
  const [stats, setStats] = useState<StatsAnswer | undefined>(undefined);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const busy = useRef(false);
  const alive = useRef(true);
  const poll = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const answer = await api.get<StatsAnswer>('/api/stats');
      if (!alive.current) return;
      setStats(answer);
      setSamples((prev) => pushSample(prev, sampleOf(answer.queue, Date.now())));
      setError(undefined);
    } catch (e) {
      if (alive.current) setError(describeError(e));
    } finally {
      busy.current = false;
    }
  }, [api]);
  useEffect(() => {
    alive.current = true;
    void poll();
    return () => {
      alive.current = false;
    };
  }, [poll]);
  useInterval(() => void poll(), POLL_MS);
  return { stats, samples, error };
}

/** The shared queue's counts now, the tenant's DLQ size and workers, and a live chart. */
export function QueueStatsPanel() {
  const { stats, samples, error } = useStatsPolling();
  return (
    <section class="card" aria-labelledby="stats-title">
      <div class="page-head">
        <h2 id="stats-title">Queue</h2>
        <span class="muted">all tenants · every {POLL_MS / 1000} s</span>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!stats && !error && <p class="muted">Loading…</p>}
      {stats && (
        <dl class="stat-cards">
          {COUNTS.map(({ key, label }) => (
            <div key={key} class={`stat series-${key}`}>
              <dt>{label}</dt>
              <dd>{stats.queue[key]}</dd>
            </div>
          ))}
          <div class="stat">
            <dt>DLQ (this tenant)</dt>
            <dd>{stats.dlq}</dd>
          </div>
          {stats.workers && (
            <div class={stats.workers.stuck > 0 ? 'stat stat-bad' : 'stat'}>
              <dt>Workers live / stuck</dt>
              <dd>
                {stats.workers.live} / {stats.workers.stuck}
              </dd>
            </div>
          )}
        </dl>
      )}
      <QueueChart samples={samples} />
    </section>
  );
}
