import { contentHash } from './canonical-json.js';
import { NodeNotFoundError, type ValidationIssue, WorkflowValidationError } from './errors.js';
import { type ValidateWorkflowOptions, validateWorkflow } from './validate-workflow.js';
import { buildGraph, reachableFrom, topologicalOrder } from './workflow-graph.js';
import type { NodeDefinition, WorkflowDefinition } from './workflow-schema.js';

/**
 * An immutable, validated execution plan of one workflow version. Built once per version
 * by {@link compileWorkflow} and shared by the engine and the stores.
 */
export interface WorkflowPlan {
  /** The workflow's id. */
  readonly workflowId: string;
  /** Content hash of the definition: the workflow version. */
  readonly version: string;
  /** The validated definition. */
  readonly definition: Readonly<WorkflowDefinition>;
  /** Node ids in definition order. */
  readonly nodeIds: readonly string[];
  /** Node ids in a topological order (parents before children). */
  readonly order: readonly string[];
  /** Nodes started with `initialData`: `entryNodeId`, or every node without parents. */
  readonly entryNodes: readonly string[];
  /** Nodes not reachable from the entry nodes; skipped (`unreachable`) at start. */
  readonly unreachable: readonly string[];
  /** Parent ids of each node. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
  /** Child ids of each node. */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** Each node's definition, by id. */
  readonly nodes: ReadonlyMap<string, Readonly<NodeDefinition>>;
  /** Warnings found while validating (e.g. unreachable nodes). */
  readonly warnings: readonly ValidationIssue[];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates a definition and compiles it into a {@link WorkflowPlan}.
 * The definition is copied; the plan and everything in it are frozen.
 * @throws WorkflowValidationError when the definition has errors.
 */
export function compileWorkflow(
  def: WorkflowDefinition,
  options?: ValidateWorkflowOptions,
): WorkflowPlan {
  const { valid, issues } = validateWorkflow(def, options);
  if (!valid) throw new WorkflowValidationError(issues);
  const definition = deepFreeze(structuredClone(def));
  const graph = buildGraph(definition.nodes);
  for (const lists of [graph.parents, graph.children])
    for (const l of lists.values()) Object.freeze(l);
  const order = topologicalOrder(graph);
  const entryNodes =
    definition.entryNodeId !== undefined
      ? [definition.entryNodeId]
      : definition.nodes
          .filter((n) => (graph.parents.get(n.id) ?? []).length === 0)
          .map((n) => n.id);
  const reachable = reachableFrom(graph, entryNodes);
  const warnings = issues.filter((i) => i.severity === 'warning');
  return Object.freeze({
    workflowId: definition.id,
    version: contentHash(definition),
    definition,
    nodeIds: Object.freeze(definition.nodes.map((n) => n.id)),
    order: Object.freeze(order),
    entryNodes: Object.freeze(entryNodes),
    unreachable: Object.freeze(order.filter((id) => !reachable.has(id))),
    parents: graph.parents,
    children: graph.children,
    nodes: new Map(definition.nodes.map((n) => [n.id, n])),
    warnings: Object.freeze(warnings),
  });
}

/** The definition of one node of a plan. @throws NodeNotFoundError */
export function planNode(plan: WorkflowPlan, nodeId: string): Readonly<NodeDefinition> {
  const node = plan.nodes.get(nodeId);
  if (!node) throw new NodeNotFoundError(nodeId, `workflow '${plan.workflowId}'`);
  return node;
}
