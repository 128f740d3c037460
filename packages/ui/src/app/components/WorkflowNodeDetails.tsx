import type { NodeTypeInfo } from '@spane/core';
import type { NodeDefinition, WorkflowDefinition } from '../api/types.js';
import { redact } from '../model/redact.js';
import { retryText, timeoutText, withDefault } from '../model/workflow-view.js';
import { JsonView } from './JsonView.js';

/** Props of {@link WorkflowNodeDetails}. */
export interface WorkflowNodeDetailsProps {
  node: NodeDefinition;
  /** The workflow's `defaults` (retry, timeoutMs) the node inherits. */
  defaults: WorkflowDefinition['defaults'];
  /** The node's type as `GET /api/node-types` describes it, when the server offers it. */
  typeInfo: NodeTypeInfo | undefined;
  parents: readonly string[];
  children: readonly string[];
  onClose: () => void;
}

function ids(list: readonly string[]): string {
  return list.length > 0 ? list.join(', ') : '—';
}

/** The side panel of one node of a definition: type, settings, edges and config (redacted). */
export function WorkflowNodeDetails(props: WorkflowNodeDetailsProps) {
  const { node, defaults, typeInfo, parents, children, onClose } = props;
  const retry = withDefault(
    retryText(node.retry),
    retryText(defaults?.retry),
    typeInfo?.retry ? `${retryText(typeInfo.retry)} (type default)` : 'engine default',
  );
  const timeout = withDefault(
    timeoutText(node.timeoutMs),
    timeoutText(defaults?.timeoutMs),
    typeInfo?.timeoutMs ? `${timeoutText(typeInfo.timeoutMs)} (type default)` : 'engine default',
  );
  return (
    <aside class="panel" aria-labelledby="node-title" data-node-id={node.id}>
      <div class="panel-head">
        <h2 id="node-title">
          {node.name ?? node.id} <span class="muted">({node.type})</span>
        </h2>
        <button type="button" class="link" aria-label="Close node details" onClick={onClose}>
          ✕
        </button>
      </div>
      {typeInfo?.description && <p class="type-description">{typeInfo.description}</p>}
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{node.id}</code>
        </dd>
        <dt>Type</dt>
        <dd>
          <code>{node.type}</code>
          {typeInfo?.builtIn && <span class="muted"> (built in)</span>}
        </dd>
        <dt>Name</dt>
        <dd>{node.name ?? '—'}</dd>
        <dt>Retry</dt>
        <dd>{retry}</dd>
        <dt>Timeout</dt>
        <dd>{timeout}</dd>
        <dt>Continue on fail</dt>
        <dd>{node.continueOnFail ? 'yes' : 'no'}</dd>
        <dt>Parents</dt>
        <dd>{ids(parents)}</dd>
        <dt>Children</dt>
        <dd>{ids(children)}</dd>
      </dl>
      <section aria-labelledby="node-config-title">
        <h3 id="node-config-title">Config</h3>
        {node.config ? (
          <JsonView value={redact(node.config)} label={`Config of ${node.id}`} />
        ) : (
          <p class="muted">None.</p>
        )}
      </section>
    </aside>
  );
}
