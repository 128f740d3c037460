import { useSession } from '../api/context.js';
import type { StoredWorkflow } from '../api/types.js';
import { useLoad } from '../hooks.js';
import { triggerKinds } from '../model/triggers.js';
import { formatWhen, shortVersion } from '../model/workflow-view.js';
import { routeHash } from '../router.js';

function WorkflowRow({ stored }: { stored: StoredWorkflow }) {
  const { definition } = stored;
  const kinds = triggerKinds(definition.triggers);
  const executions = routeHash({
    page: 'executions',
    query: new URLSearchParams({ workflowId: stored.workflowId }),
  });
  return (
    <tr data-workflow-id={stored.workflowId}>
      <td>
        <a href={routeHash({ page: 'workflow', workflowId: stored.workflowId })}>
          <code>{stored.workflowId}</code>
        </a>
      </td>
      <td>{definition.name}</td>
      <td>{definition.nodes.length}</td>
      <td>{kinds.length > 0 ? kinds.join(', ') : <span class="muted">none</span>}</td>
      <td>
        <code title={stored.version}>{shortVersion(stored.version)}</code>
      </td>
      <td>{formatWhen(stored.createdAt)}</td>
      <td>
        <a href={executions} aria-label={`Executions of ${stored.workflowId}`}>
          Executions
        </a>
      </td>
    </tr>
  );
}

/** `#/workflows`: the current version of each of the tenant's workflows. */
export function WorkflowsPage() {
  const { api } = useSession();
  const list = useLoad(
    (signal) => api.get<{ items: StoredWorkflow[] }>('/api/workflows', undefined, signal),
    [api],
  );
  const items = list.data?.items;
  return (
    <section>
      <div class="page-head">
        <h1>Workflows</h1>
        {items && <span class="muted">{items.length} registered</span>}
        <button type="button" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </div>
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      {!items && !list.error && <p class="muted">Loading…</p>}
      {items && items.length === 0 && (
        <p class="muted">
          No workflows yet. Register one with <code>POST /api/workflows</code>.
        </p>
      )}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Workflows, current version of each</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Nodes</th>
                <th scope="col">Triggers</th>
                <th scope="col">Version</th>
                <th scope="col">Saved at</th>
                <th scope="col">Runs</th>
              </tr>
            </thead>
            <tbody>
              {items.map((stored) => (
                <WorkflowRow key={stored.workflowId} stored={stored} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
