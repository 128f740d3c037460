import { useState } from 'preact/hooks';
import { useSession } from '../api/context.js';
import type { ExecutionPage, ExecutionSummary, StoredWorkflow } from '../api/types.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useInterval, useLoad } from '../hooks.js';
import {
  EXECUTION_STATUSES,
  type ExecutionFilters,
  filtersFromQuery,
  filtersToQuery,
  listQuery,
} from '../model/execution-filters.js';
import { formatDuration } from '../model/status.js';
import { navigate } from '../router.js';

const PAGE_SIZE = 25;

function took(e: ExecutionSummary): string {
  const start = Date.parse(e.startedAt ?? e.createdAt);
  const end = e.completedAt ? Date.parse(e.completedAt) : Number.NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? '' : formatDuration(end - start);
}

/** A labelled `datetime-local` input. */
function TimeField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="datetime-local"
        value={props.value}
        onInput={(e) => props.onChange((e.target as HTMLInputElement).value)}
      />
    </div>
  );
}

function Filters({
  filters,
  workflows,
}: {
  filters: ExecutionFilters;
  workflows: StoredWorkflow[];
}) {
  const [draft, setDraft] = useState(filters);
  const apply = (event: Event) => {
    event.preventDefault();
    navigate({ page: 'executions', query: filtersToQuery({ ...draft, cursor: '' }) });
  };
  const toggle = (status: string) =>
    setDraft((d) => ({
      ...d,
      status: d.status.includes(status)
        ? d.status.filter((s) => s !== status)
        : [...d.status, status],
    }));
  return (
    <form class="filters" onSubmit={apply} aria-label="Filter executions">
      <div>
        <label for="f-workflow">Workflow</label>
        <select
          id="f-workflow"
          value={draft.workflowId}
          onChange={(e) =>
            setDraft({ ...draft, workflowId: (e.target as HTMLSelectElement).value })
          }
        >
          <option value="">Any workflow</option>
          {workflows.map((w) => (
            <option key={w.workflowId} value={w.workflowId}>
              {w.workflowId}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="statuses">
        <legend>Status</legend>
        {EXECUTION_STATUSES.map((s) => (
          <label key={s} class="check">
            <input type="checkbox" checked={draft.status.includes(s)} onChange={() => toggle(s)} />{' '}
            {s}
          </label>
        ))}
      </fieldset>
      <TimeField
        id="f-after"
        label="Created after"
        value={draft.createdAfter}
        onChange={(createdAfter) => setDraft({ ...draft, createdAfter })}
      />
      <TimeField
        id="f-before"
        label="Created before"
        value={draft.createdBefore}
        onChange={(createdBefore) => setDraft({ ...draft, createdBefore })}
      />
      <button type="submit">Apply filters</button>
      <button
        type="button"
        class="link"
        onClick={() => navigate({ page: 'executions', query: new URLSearchParams() })}
      >
        Clear
      </button>
    </form>
  );
}

/** The tenant's executions, newest first, filtered and paged; the first page refreshes itself. */
export function ExecutionsPage({ query }: { query: URLSearchParams }) {
  const { api } = useSession();
  const filters = filtersFromQuery(query);
  const key = query.toString();
  const list = useLoad(
    (signal) => api.get<ExecutionPage>('/api/executions', listQuery(filters, PAGE_SIZE), signal),
    [api, key],
  );
  const workflows = useLoad(
    (signal) => api.get<{ items: StoredWorkflow[] }>('/api/workflows', undefined, signal),
    [api],
  );
  const [auto, setAuto] = useState(true);
  useInterval(list.reload, 3000, auto && !filters.cursor);
  const items = list.data?.items ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Executions</h1>
        <label class="check">
          <input type="checkbox" checked={auto} onChange={() => setAuto(!auto)} /> Refresh every 3 s
        </label>
      </div>
      <Filters key={key} filters={filters} workflows={workflows.data?.items ?? []} />
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="Executions">
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Took</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.executionId} data-execution-id={e.executionId}>
                <td>
                  <a class="mono" href={`#/executions/${encodeURIComponent(e.executionId)}`}>
                    {e.executionId}
                  </a>
                </td>
                <td>{e.workflowId}</td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
                <td>{took(e)}</td>
                <td class="error">{e.error ? e.error.split('\n')[0] : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {items.length === 0 && !list.loading && <p class="muted pad">No executions match.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={!filters.cursor}
          onClick={() =>
            navigate({ page: 'executions', query: filtersToQuery({ ...filters, cursor: '' }) })
          }
        >
          Newest
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() =>
            navigate({
              page: 'executions',
              query: filtersToQuery({ ...filters, cursor: list.data?.nextCursor ?? '' }),
            })
          }
        >
          Older
        </button>
      </nav>
    </section>
  );
}
