import { useState } from 'preact/hooks';
import { describeError } from '../api/client.js';
import { useSession } from '../api/context.js';
import type { ExecutionExplanation, ExecutionState, NodeDefinition } from '../api/types.js';
import { useLoad } from '../hooks.js';
import { nodeInput } from '../model/node-input.js';
import { redact } from '../model/redact.js';
import { formatDuration, isFinished, nodeDurationMs, skipText } from '../model/status.js';
import { navigate } from '../router.js';
import { JsonView } from './JsonView.js';
import { NodeTelemetry, type RunNodeRef } from './NodeTelemetry.js';
import { SignalForm } from './SignalForm.js';
import { StatusBadge } from './StatusBadge.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/**
 * Why a node that has not settled is where it is (`GET /api/executions/:id/explain`),
 * asked again when the execution's version or the node's status or attempt changes (a
 * node's status moves without a new execution version).
 */
function Explain({
  executionId,
  nodeId,
  version,
  status,
  attempts,
}: RunNodeRef & { status: string; attempts: number }) {
  const { api } = useSession();
  const explained = useLoad(
    (signal) =>
      api.get<ExecutionExplanation>(
        `/api/executions/${encodeURIComponent(executionId)}/explain`,
        undefined,
        signal,
      ),
    [api, executionId, version, status, attempts],
  );
  const mine = explained.data?.nodes.find((n) => n.nodeId === nodeId);
  return (
    <section aria-labelledby="why-title">
      <h3 id="why-title">Why it has not run</h3>
      {explained.error ? (
        <p class="error">{explained.error}</p>
      ) : mine ? (
        <p class="explain" data-reason={mine.reason.kind}>
          {mine.message}
        </p>
      ) : (
        <p class="muted">{explained.loading ? 'Asking…' : 'Nothing to explain now.'}</p>
      )}
    </section>
  );
}

/** Runs the execution again from this node (`POST …/replay` with `fromNodeId`). */
function ReplayFrom({ executionId, nodeId }: { executionId: string; nodeId: string }) {
  const { api } = useSession();
  const [error, setError] = useState<string | null>(null);
  const replay = async () => {
    setError(null);
    try {
      const { executionId: next } = await api.post<{ executionId: string }>(
        `/api/executions/${encodeURIComponent(executionId)}/replay`,
        { fromNodeId: nodeId },
      );
      navigate({ page: 'execution', executionId: next });
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <>
      <button type="button" onClick={replay}>
        Replay from {nodeId}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** Props of {@link NodePanel}. */
export interface NodePanelProps {
  state: ExecutionState;
  node: NodeDefinition;
  parents: readonly string[];
  now: number;
  onClose: () => void;
  onChanged: () => void;
}

/** The side panel of one node of a run: state, reason, input, output, error, logs and spans. */
export function NodePanel({ state, node, parents, now, onClose, onChanged }: NodePanelProps) {
  const { canExecute } = useSession();
  const ns = state.nodeResults[node.id] ?? { status: 'pending' as const, attempts: 0 };
  const ms = nodeDurationMs(ns, now);
  const settled = SETTLED.has(ns.status);
  return (
    <aside class="panel" aria-labelledby="panel-title">
      <div class="panel-head">
        <h2 id="panel-title">
          {node.name ?? node.id} <span class="muted">({node.type})</span>
        </h2>
        <button type="button" class="link" aria-label="Close node details" onClick={onClose}>
          ✕
        </button>
      </div>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={ns.status} kind="node" />
        </dd>
        <dt>Attempts</dt>
        <dd>{ns.attempts}</dd>
        {ms !== undefined && (
          <>
            <dt>Duration</dt>
            <dd>{formatDuration(ms)}</dd>
          </>
        )}
        {ns.skipReason && (
          <>
            <dt>Skipped</dt>
            <dd>{skipText(ns.skipReason)}</dd>
          </>
        )}
        {ns.items && (
          <>
            <dt>Items</dt>
            <dd>
              {ns.items.done} done, {ns.items.failed} failed, {ns.items.running} running of{' '}
              {ns.items.total}
            </dd>
          </>
        )}
      </dl>
      {ns.error && (
        <section aria-labelledby="error-title">
          <h3 id="error-title">Error</h3>
          <pre class="error-text">{ns.error}</pre>
        </section>
      )}
      {!settled && !isFinished(state.status) && (
        <Explain
          executionId={state.executionId}
          nodeId={node.id}
          version={state.version}
          status={ns.status}
          attempts={ns.attempts}
        />
      )}
      {canExecute && node.type === 'wait-for-signal' && !settled && (
        <SignalForm executionId={state.executionId} node={node} onSent={onChanged} />
      )}
      {canExecute && isFinished(state.status) && (
        <ReplayFrom executionId={state.executionId} nodeId={node.id} />
      )}
      <section aria-labelledby="input-title">
        <h3 id="input-title">Input</h3>
        <JsonView value={nodeInput(state, parents, node.id)} label={`Input of ${node.id}`} />
      </section>
      <section aria-labelledby="output-title">
        <h3 id="output-title">Output</h3>
        <JsonView value={ns.data} label={`Output of ${node.id}`} />
      </section>
      {node.config && (
        <section aria-labelledby="config-title">
          <h3 id="config-title">Config</h3>
          <JsonView value={redact(node.config)} label={`Config of ${node.id}`} />
        </section>
      )}
      <NodeTelemetry
        executionId={state.executionId}
        nodeId={node.id}
        version={state.version}
        completedAt={state.completedAt}
      />
    </aside>
  );
}
