import type { NodeTypeInfo } from '@spane/core';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useSession } from '../api/context.js';
import type { StoredWorkflow } from '../api/types.js';
import { StartExecutionForm } from '../components/StartExecutionForm.js';
import { TriggerList } from '../components/TriggerList.js';
import { VersionPicker } from '../components/VersionPicker.js';
import { WorkflowDefinitionView } from '../components/WorkflowDefinitionView.js';
import { useLoad } from '../hooks.js';
import { formatDuration } from '../model/status.js';
import { formatWhen } from '../model/workflow-view.js';
import { routeHash } from '../router.js';

function Facts({ stored }: { stored: StoredWorkflow }) {
  const d = stored.definition;
  return (
    <dl class="facts">
      <dt>Description</dt>
      <dd>{d.description ?? <span class="muted">—</span>}</dd>
      <dt>Version</dt>
      <dd>
        <code>{stored.version}</code>
      </dd>
      <dt>Saved at</dt>
      <dd>{formatWhen(stored.createdAt)}</dd>
      <dt>Entry node</dt>
      <dd>{d.entryNodeId ? <code>{d.entryNodeId}</code> : 'every node without parents'}</dd>
      <dt>Max concurrency</dt>
      <dd>{d.maxConcurrency ?? 'no limit'}</dd>
      <dt>Execution timeout</dt>
      <dd>{d.timeoutMs === undefined ? 'none' : formatDuration(d.timeoutMs)}</dd>
    </dl>
  );
}

/** The node types the server offers, by name; empty while loading or when the call fails. */
function useNodeTypes(): ReadonlyMap<string, NodeTypeInfo> {
  const { api } = useSession();
  const types = useLoad(
    (signal) => api.get<{ items: NodeTypeInfo[] }>('/api/node-types', undefined, signal),
    [api],
  );
  return useMemo(() => new Map((types.data?.items ?? []).map((t) => [t.type, t])), [types.data]);
}

/** Loads the current version, the one of `?version=` and the list of versions. */
function useWorkflow(workflowId: string, version: string | undefined) {
  const { api } = useSession();
  const path = `/api/workflows/${encodeURIComponent(workflowId)}`;
  const current = useLoad(
    (signal) => api.get<StoredWorkflow>(path, undefined, signal),
    [api, path],
  );
  const pinned = useLoad(
    (signal) =>
      version ? api.get<StoredWorkflow>(path, { version }, signal) : Promise.resolve(undefined),
    [api, path, version],
  );
  const versions = useLoad(
    (signal) => api.get<{ items: StoredWorkflow[] }>(`${path}/versions`, undefined, signal),
    [api, path],
  );
  // Data of the previous workflow or version stays until the new answer comes: not shown.
  const currentData = current.data?.workflowId === workflowId ? current.data : undefined;
  const pinnedData =
    pinned.data?.workflowId === workflowId && pinned.data.version === version
      ? pinned.data
      : undefined;
  return {
    stored: version ? pinnedData : currentData,
    error: version ? pinned.error : current.error,
    currentVersion: currentData?.version,
    versions: versions.data?.items,
    versionsError: versions.error,
  };
}

/** `#/workflows/<id>[?version=<v>]`: one workflow version's definition, triggers and start form. */
export function WorkflowPage({
  workflowId,
  version,
}: {
  workflowId: string;
  version?: string | undefined;
}) {
  const { stored, error, currentVersion, versions, versionsError } = useWorkflow(
    workflowId,
    version,
  );
  const nodeTypes = useNodeTypes();
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  useEffect(() => setSelectedId(undefined), [workflowId]);
  const older =
    stored !== undefined && currentVersion !== undefined && stored.version !== currentVersion;
  const executions = routeHash({ page: 'executions', query: new URLSearchParams({ workflowId }) });
  return (
    <section class="workflow">
      <div class="page-head">
        <h1>
          {stored?.definition.name ?? 'Workflow'} <code class="muted">{workflowId}</code>
        </h1>
        {older && <span class="badge tone-delayed">older version</span>}
        <a href={executions}>Executions of this workflow</a>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {versions && (stored || version) && (
        <VersionPicker
          workflowId={workflowId}
          versions={versions}
          shown={version ?? currentVersion ?? ''}
          current={currentVersion}
        />
      )}
      {versionsError && <p class="warn">Versions: {versionsError}</p>}
      {!stored && !error && <p class="muted">Loading…</p>}
      {stored && (
        <>
          <Facts stored={stored} />
          <h2 class="section-title">Triggers</h2>
          <TriggerList triggers={stored.definition.triggers} tenantId={stored.tenantId} />
          <h2 class="section-title">Definition</h2>
          <WorkflowDefinitionView
            definition={stored.definition}
            nodeTypes={nodeTypes}
            selectedId={selectedId}
            onSelect={setSelectedId}
          />
          <StartExecutionForm workflowId={workflowId} olderShown={older} />
        </>
      )}
    </section>
  );
}
