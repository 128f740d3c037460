import { useMemo } from 'preact/hooks';
import { useSession } from '../api/context.js';
import type { ExecutionState, StoredWorkflow } from '../api/types.js';
import { DagView } from '../components/DagView.js';
import { ExecutionActions } from '../components/ExecutionActions.js';
import { NodePanel } from '../components/NodePanel.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useLoad, useNow } from '../hooks.js';
import { type LiveExecution, useLiveExecution } from '../live/useLiveExecution.js';
import { parentsOf, workflowEdges } from '../model/graph.js';
import { isFinished } from '../model/status.js';
import { navigate } from '../router.js';

function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** The execution's title, status, stream state and facts. */
function ExecutionHeader({
  state,
  stream,
}: {
  state: ExecutionState;
  stream: LiveExecution['stream'];
}) {
  return (
    <>
      <div class="page-head">
        <h1>
          Execution <code>{state.executionId}</code>
        </h1>
        <StatusBadge status={state.status} />
        <span class={`stream stream-${stream}`} aria-live="polite">
          {stream === 'live' ? '● live' : stream === 'ended' ? 'ended' : 'connecting…'}
        </span>
      </div>
      <dl class="facts">
        <dt>Workflow</dt>
        <dd>
          <a
            href={`#/workflows/${encodeURIComponent(state.workflowId)}?version=${encodeURIComponent(state.workflowVersion)}`}
          >
            {state.workflowId}
          </a>{' '}
          <span class="muted">version {state.workflowVersion.slice(0, 12)}</span>
        </dd>
        <dt>Created</dt>
        <dd>{when(state.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{when(state.completedAt)}</dd>
        {state.parentExecutionId && (
          <>
            <dt>Parent</dt>
            <dd>
              <a href={`#/executions/${encodeURIComponent(state.parentExecutionId)}`}>
                {state.parentExecutionId}
              </a>
              {state.parentNodeId && <span class="muted"> (node {state.parentNodeId})</span>}
            </dd>
          </>
        )}
      </dl>
    </>
  );
}

/** One execution: its DAG with each node's live state, its actions and a node's details. */
export function ExecutionPage({
  executionId,
  nodeId,
}: {
  executionId: string;
  nodeId?: string | undefined;
}) {
  const { api } = useSession();
  const live = useLiveExecution(executionId);
  const state = live.state;
  const workflow = useLoad(
    (signal) =>
      state
        ? api.get<StoredWorkflow>(
            `/api/workflows/${encodeURIComponent(state.workflowId)}`,
            { version: state.workflowVersion },
            signal,
          )
        : Promise.resolve(undefined),
    [api, state?.workflowId, state?.workflowVersion],
  );
  const definition = workflow.data?.definition;
  const edges = useMemo(() => (definition ? workflowEdges(definition) : []), [definition]);
  const parents = useMemo(() => parentsOf(edges), [edges]);
  const running = state !== undefined && !isFinished(state.status);
  const now = useNow(1000, running);

  if (!state) {
    return (
      <section>
        <h1>Execution {executionId}</h1>
        {live.error ? (
          <p class="error" role="alert">
            {live.error}
          </p>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
    );
  }
  const selected = nodeId && definition?.nodes.find((n) => n.id === nodeId);
  const select = (id: string) =>
    navigate({ page: 'execution', executionId, ...(id === nodeId ? {} : { nodeId: id }) });
  return (
    <section class="execution">
      <ExecutionHeader state={state} stream={live.stream} />
      {state.error && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      {live.error && <p class="warn">{live.error}</p>}
      <ExecutionActions state={state} onDone={live.refresh} />
      <div class={selected ? 'run-layout with-panel' : 'run-layout'}>
        {definition ? (
          <DagView
            nodes={definition.nodes}
            edges={edges}
            states={state.nodeResults}
            selectedId={nodeId}
            onSelect={select}
            now={now}
            label={`DAG of execution ${state.executionId}`}
          />
        ) : (
          <p class="muted">{workflow.error ?? 'Loading the workflow…'}</p>
        )}
        {selected && (
          <NodePanel
            key={selected.id}
            state={state}
            node={selected}
            parents={parents.get(selected.id) ?? []}
            now={now}
            onClose={() => navigate({ page: 'execution', executionId })}
            onChanged={live.refresh}
          />
        )}
      </div>
    </section>
  );
}
