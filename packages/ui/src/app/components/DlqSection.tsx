import { useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import type { DLQItem } from '../api/types.js';
import { useLoad } from '../hooks.js';
import { DLQ_LIMIT, dlqPaging } from '../model/dlq.js';
import { routeHash } from '../router.js';
import { DlqRow } from './DlqRow.js';

/** What the last retry answered. */
type RetryResult =
  | { ok: true; nodeId: string; executionId: string }
  | { ok: false; nodeId: string; executionId: string; error: string };

function RetryMessage({ result }: { result: RetryResult }) {
  const what = `${result.nodeId} of ${result.executionId}`;
  if (!result.ok) {
    return (
      <p class="error" role="alert">
        Retry of {what}: {result.error}
      </p>
    );
  }
  return (
    <p class="ok" role="status">
      {result.nodeId} runs again —{' '}
      <a href={routeHash({ page: 'execution', executionId: result.executionId })}>
        open execution {result.executionId}
      </a>
    </p>
  );
}

/** Retries a DLQ item (`POST /api/dlq/:id/retry`, no body), keeping what it answered. */
function useRetry(onDone: () => void) {
  const { api } = useSession();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [result, setResult] = useState<RetryResult | null>(null);
  const retry = async (item: DLQItem) => {
    setBusyId(item.id);
    setResult(null);
    const base = { nodeId: item.nodeId, executionId: item.executionId };
    try {
      const answer = await api.post<{ id: string; executionId: string }>(
        `/api/dlq/${encodeURIComponent(item.id)}/retry`,
      );
      setResult({ ok: true, ...base, executionId: answer.executionId });
    } catch (e) {
      setResult({ ok: false, ...base, error: describeError(e) });
    } finally {
      setBusyId(null);
      onDone();
    }
  };
  return { busyId, result, retry };
}

/** The tenant's dead letter queue, newest first, 50 a page; retry and details per row. */
export function DlqSection() {
  const { api, canExecute } = useSession();
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const page = useLoad(
    (signal) => api.get<{ items: DLQItem[] }>('/api/dlq', { offset, limit: DLQ_LIMIT }, signal),
    [api, offset],
  );
  const { busyId, result, retry } = useRetry(page.reload);
  const items = page.data?.items;
  const paging = dlqPaging(offset, items?.length ?? 0);
  return (
    <section class="card" aria-labelledby="dlq-title">
      <div class="page-head">
        <h2 id="dlq-title">Dead letter queue</h2>
        {items && items.length > 0 && (
          <span class="muted">
            {paging.from}–{paging.to}
          </span>
        )}
        <button type="button" onClick={page.reload} disabled={page.loading}>
          Refresh
        </button>
      </div>
      {result && <RetryMessage result={result} />}
      {page.error && (
        <p class="error" role="alert">
          {page.error}
        </p>
      )}
      {!items && !page.error && <p class="muted">Loading…</p>}
      {items && items.length === 0 && (
        <p class="muted">{offset === 0 ? 'The DLQ is empty.' : 'No more items.'}</p>
      )}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table class="dlq">
            <caption class="visually-hidden">Dead-lettered nodes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Workflow</th>
                <th scope="col">Execution</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">Failed at</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <DlqRow
                  key={item.id}
                  item={item}
                  expanded={open === item.id}
                  onToggle={() => setOpen(open === item.id ? null : item.id)}
                  onRetry={canExecute ? () => void retry(item) : undefined}
                  busy={busyId !== null}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="DLQ pages">
        <button
          type="button"
          disabled={paging.previous === undefined || page.loading}
          onClick={() => paging.previous !== undefined && setOffset(paging.previous)}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={paging.next === undefined || page.loading}
          onClick={() => paging.next !== undefined && setOffset(paging.next)}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
