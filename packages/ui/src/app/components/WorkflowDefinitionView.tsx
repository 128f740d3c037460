import type { NodeTypeInfo } from '@spane/core';
import { useMemo } from 'preact/hooks';
import type { NodeDefinition, WorkflowDefinition } from '../api/types.js';
import { parentsOf, workflowEdges } from '../model/graph.js';
import { DagView } from './DagView.js';
import { WorkflowNodeDetails } from './WorkflowNodeDetails.js';

/** Props of {@link WorkflowDefinitionView}. */
export interface WorkflowDefinitionViewProps {
  definition: WorkflowDefinition;
  /** Node types by name (`GET /api/node-types`); empty while unknown. */
  nodeTypes: ReadonlyMap<string, NodeTypeInfo>;
  selectedId: string | undefined;
  onSelect: (nodeId: string | undefined) => void;
}

function NodesTable({
  nodes,
  selectedId,
  onSelect,
}: {
  nodes: readonly NodeDefinition[];
  selectedId: string | undefined;
  onSelect: (nodeId: string) => void;
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Nodes</caption>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.id} class={node.id === selectedId ? 'selected' : undefined}>
              <td>
                <button
                  type="button"
                  class="link mono"
                  aria-pressed={node.id === selectedId}
                  aria-label={`Details of node ${node.id}`}
                  onClick={() => onSelect(node.id)}
                >
                  {node.id}
                </button>
              </td>
              <td>
                <code>{node.type}</code>
              </td>
              <td>{node.name ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A definition drawn as a DAG, a node's details beside it, and the table of its nodes. */
export function WorkflowDefinitionView(props: WorkflowDefinitionViewProps) {
  const { definition, nodeTypes, selectedId, onSelect } = props;
  const edges = useMemo(() => workflowEdges(definition), [definition]);
  const parents = useMemo(() => parentsOf(edges), [edges]);
  const selected = selectedId ? definition.nodes.find((n) => n.id === selectedId) : undefined;
  const toggle = (id: string) => onSelect(id === selectedId ? undefined : id);
  return (
    <>
      <div class={selected ? 'run-layout with-panel' : 'run-layout'}>
        <DagView
          nodes={definition.nodes}
          edges={edges}
          selectedId={selected?.id}
          onSelect={toggle}
          label={`DAG of workflow ${definition.id}`}
        />
        {selected && (
          <WorkflowNodeDetails
            key={selected.id}
            node={selected}
            defaults={definition.defaults}
            typeInfo={nodeTypes.get(selected.type)}
            parents={parents.get(selected.id) ?? []}
            children={edges.filter((e) => e.from === selected.id).map((e) => e.to)}
            onClose={() => onSelect(undefined)}
          />
        )}
      </div>
      <h2 class="section-title">Nodes</h2>
      <NodesTable nodes={definition.nodes} selectedId={selected?.id} onSelect={toggle} />
    </>
  );
}
