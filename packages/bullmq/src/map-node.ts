import {
  compileWorkflow,
  type JsonSchemaCheck,
  type MapNodeConfig,
  planNode,
  readablePathProblem,
  type SchemaProblem,
  type WorkflowDefinition,
  type WorkflowPlan,
} from '@spane/core';

/** The built-in node type that runs a workflow, or one node of a type, per item of a list. */
export const MAP_NODE = 'map';

/** A map node's `concurrency` when its config gives none. */
export const DEFAULT_MAP_CONCURRENCY = 10;

/** The node id of the one node of a map item's workflow in `nodeType` mode. */
export const MAP_ITEM_NODE_ID = 'item';

/** Marks the workflow id of a map node's items in `nodeType` mode (never in a real id). */
const ITEM_WORKFLOW_MARK = 'map~';

/**
 * What the `map` config schema does not say: `items` must be a path the node can read
 * (no `__proto__`, `constructor` or `prototype` segment).
 */
export function mapConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const problem = readablePathProblem(config.items);
  return problem === undefined ? [] : [{ path: '/items', message: problem }];
}

/**
 * The checks of a map node in `nodeType` mode that need the engine's node types: the
 * type must be known here, and `nodeConfig` must match its config schema (problems at
 * `/nodeConfig…`).
 */
export function mapItemTypeProblems(
  config: Record<string, unknown>,
  known: (type: string) => boolean,
  configCheck: (type: string) => JsonSchemaCheck | undefined,
): SchemaProblem[] {
  const { nodeType } = config;
  if (typeof nodeType !== 'string') return [];
  if (nodeType === MAP_NODE) {
    return [{ path: '/nodeType', message: "config.nodeType cannot be 'map'" }];
  }
  if (!known(nodeType)) {
    return [{ path: '/nodeType', message: `node type '${nodeType}' is not registered` }];
  }
  const check = configCheck(nodeType);
  if (!check) return [];
  return check
    .problems(config.nodeConfig ?? {})
    .map((p) => ({ path: `/nodeConfig${p.path}`, message: p.message }));
}

/** The idempotency key of the child execution of one item of one map node attempt. */
export function mapItemKey(
  executionId: string,
  nodeId: string,
  attempt: number,
  index: number,
): string {
  return `spane.map.${executionId}.${nodeId}.${attempt}.${index}`;
}

/** The attempt and item index a map item's idempotency key names, if it is one. */
export function parseMapItemKey(
  key: string | undefined,
  parent: { executionId: string; nodeId: string },
): { attempt: number; index: number } | undefined {
  const prefix = `spane.map.${parent.executionId}.${parent.nodeId}.`;
  if (key === undefined || !key.startsWith(prefix)) return undefined;
  const match = /^(\d+)\.(\d+)$/.exec(key.slice(prefix.length));
  return match ? { attempt: Number(match[1]), index: Number(match[2]) } : undefined;
}

/** True when an idempotency key is a map item's. */
export function isMapItemKey(key: string | undefined): boolean {
  return key?.startsWith('spane.map.') === true;
}

/** The workflow id of the items of a map node in `nodeType` mode. */
export function mapItemWorkflowId(workflowId: string, nodeId: string): string {
  return `${ITEM_WORKFLOW_MARK}${workflowId}~${nodeId}`;
}

/** The parent workflow and map node a `nodeType`-mode item workflow id names, if it is one. */
export function parseMapItemWorkflowId(
  workflowId: string,
): { workflowId: string; nodeId: string } | undefined {
  if (!workflowId.startsWith(ITEM_WORKFLOW_MARK)) return undefined;
  const [parent, nodeId, ...rest] = workflowId.slice(ITEM_WORKFLOW_MARK.length).split('~');
  if (!parent || !nodeId || rest.length > 0) return undefined;
  return { workflowId: parent, nodeId };
}

/**
 * The plan the items of a map node in `nodeType` mode run: one node of that type (its
 * config, retry and timeout from the map's), under the workflow id
 * {@link mapItemWorkflowId} and the parent's version — so any engine process rebuilds it
 * from the parent's plan, and nothing is stored.
 */
export function mapItemPlan(parent: WorkflowPlan, nodeId: string): WorkflowPlan {
  const config = planNode(parent, nodeId).config as unknown as MapNodeConfig;
  if (!('nodeType' in config)) {
    throw new Error(`map node '${nodeId}' runs a workflow, not a node type`);
  }
  const node: WorkflowDefinition['nodes'][number] = {
    id: MAP_ITEM_NODE_ID,
    type: config.nodeType,
    config: config.nodeConfig ?? {},
  };
  if (config.retry !== undefined) node.retry = config.retry;
  if (config.timeoutMs !== undefined) node.timeoutMs = config.timeoutMs;
  const compiled = compileWorkflow({ id: 'map-item', name: 'map item', nodes: [node] });
  return Object.freeze({
    ...compiled,
    workflowId: mapItemWorkflowId(parent.workflowId, nodeId),
    version: parent.version,
  });
}
