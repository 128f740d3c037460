import { useSession } from '../api/context.js';
import { useInterval, useLoad } from '../hooks.js';

interface LogLine {
  nodeId?: string;
  level: string;
  message: string;
  timestamp: string;
}
interface SpanRow {
  spanId: string;
  nodeId: string;
  attempt: number;
  startedAt: string;
  finishedAt?: string;
  status: string;
  error?: string;
}

function time(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}

function ms(span: SpanRow): string {
  if (!span.finishedAt) return 'running';
  return `${Math.max(0, Date.parse(span.finishedAt) - Date.parse(span.startedAt))} ms`;
}

/** A node of a run, and the run's state version (what is read again when it changes). */
export interface RunNodeRef {
  executionId: string;
  nodeId: string;
  version: number;
}

/** How long after a run ended its logs and spans are still read again (they are written in batches). */
const SETTLE_MS = 15_000;
const POLL_MS = 2_000;

/**
 * A node's log lines and trace spans (one span per attempt), re-read when the run changes
 * and every 2 s while it runs and for a short while after it ended, since a store may
 * write them in batches, after the state.
 */
export function NodeTelemetry({
  executionId,
  nodeId,
  version,
  completedAt,
}: RunNodeRef & { completedAt?: string | undefined }) {
  const { api } = useSession();
  const id = encodeURIComponent(executionId);
  const logs = useLoad(
    (signal) => api.get<{ items: LogLine[] }>(`/api/executions/${id}/logs`, undefined, signal),
    [api, id, version],
  );
  const trace = useLoad(
    (signal) => api.get<{ items: SpanRow[] }>(`/api/executions/${id}/trace`, undefined, signal),
    [api, id, version],
  );
  useInterval(() => {
    if (completedAt && Date.now() - Date.parse(completedAt) > SETTLE_MS) return;
    logs.reload();
    trace.reload();
  }, POLL_MS);
  const lines = (logs.data?.items ?? []).filter((l) => l.nodeId === nodeId);
  const spans = (trace.data?.items ?? []).filter((s) => s.nodeId === nodeId);
  return (
    <>
      <section aria-labelledby="logs-title">
        <h3 id="logs-title">Logs</h3>
        {logs.error && <p class="error">{logs.error}</p>}
        {lines.length === 0 ? (
          <p class="muted">No log lines.</p>
        ) : (
          <ol class="logs" aria-label={`Logs of ${nodeId}`}>
            {lines.map((l, i) => (
              <li key={i} class={`log-${l.level}`}>
                <time>{time(l.timestamp)}</time> <b>{l.level}</b> {l.message}
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="spans-title">
        <h3 id="spans-title">Trace spans</h3>
        {trace.error && <p class="error">{trace.error}</p>}
        {spans.length === 0 ? (
          <p class="muted">No spans.</p>
        ) : (
          <table class="spans" aria-label={`Spans of ${nodeId}`}>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {spans.map((s) => (
                <tr key={s.spanId}>
                  <td>{s.attempt}</td>
                  <td>{time(s.startedAt)}</td>
                  <td>{ms(s)}</td>
                  <td title={s.error}>{s.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
