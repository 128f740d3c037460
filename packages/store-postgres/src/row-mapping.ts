import type { WorkflowDefinition } from '@spane/core';
import type {
  ActiveNode,
  DLQItem,
  ExecutionState,
  ExecutionStatus,
  ExecutionSummary,
  LogEntry,
  NodeSnapshot,
  NodeState,
  NodeStatus,
  SkipReason,
  Span,
  StoredWorkflow,
} from '@spane/core/store';
import type { Row } from './db.js';

// Rows as the store reads them (see db.ts: text, int2/int4 as numbers, booleans; jsonb
// selected as text) turned into the values of @spane/core.

/** A text column of `row` that is never NULL. */
export function str(row: Row, column: string): string {
  return row[column] as string;
}

/** A text column of `row`, `undefined` for NULL. */
export function opt(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : (value as string);
}

/** Parses JSON text selected from a jsonb column; `undefined` for SQL NULL. */
export function parseJson(text: unknown): unknown {
  return text === null || text === undefined ? undefined : JSON.parse(text as string);
}

/** An execution row (selected with `SUMMARY_COLUMNS`) as an {@link ExecutionSummary}. */
export function toSummary(row: Row): ExecutionSummary {
  const summary: ExecutionSummary = {
    executionId: str(row, 'execution_id'),
    workflowId: str(row, 'workflow_id'),
    workflowVersion: str(row, 'workflow_version'),
    tenantId: str(row, 'tenant_id'),
    status: str(row, 'status') as ExecutionStatus,
    createdAt: str(row, 'created_at'),
    depth: row.depth as number,
    metadata: JSON.parse(str(row, 'metadata')) as Record<string, unknown>,
    version: row.version as number,
  };
  const optional = {
    startedAt: opt(row, 'started_at'),
    completedAt: opt(row, 'completed_at'),
    parentExecutionId: opt(row, 'parent_execution_id'),
    parentNodeId: opt(row, 'parent_node_id'),
    idempotencyKey: opt(row, 'idempotency_key'),
    error: opt(row, 'error'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (summary as Record<string, unknown>)[key] = value;
  }
  if (row.priority !== null) summary.priority = row.priority as number;
  return summary;
}

/** A node row (selected with `NODE_COLUMNS`) as a {@link NodeState}. */
export function toNodeState(row: Row): NodeState {
  const state: NodeState = {
    status: str(row, 'status') as NodeStatus,
    attempts: row.attempts as number,
  };
  if (row.data !== null) state.data = JSON.parse(str(row, 'data'));
  if (row.error !== null) state.error = str(row, 'error');
  if (row.started_at !== null) state.startedAt = str(row, 'started_at');
  if (row.finished_at !== null) state.finishedAt = str(row, 'finished_at');
  if (row.skip_reason !== null) state.skipReason = str(row, 'skip_reason') as SkipReason;
  if (row.next_nodes !== null) state.nextNodes = JSON.parse(str(row, 'next_nodes'));
  if (row.continued_on_fail === true) state.continuedOnFail = true;
  return state;
}

/**
 * An execution row (selected with `EXECUTION_COLUMNS`) and its node rows, in order, as an
 * {@link ExecutionState}.
 */
export function toExecution(row: Row, nodes: readonly Row[]): ExecutionState {
  const { executionId, workflowId, workflowVersion, tenantId, status, ...rest } = toSummary(row);
  const nodeResults: Record<string, NodeState> = {};
  for (const node of nodes) {
    Object.defineProperty(nodeResults, str(node, 'node_id'), {
      value: toNodeState(node),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const state: ExecutionState = {
    executionId,
    workflowId,
    workflowVersion,
    tenantId,
    status,
    nodeResults,
    ...rest,
  };
  if (row.initial_data !== null) state.initialData = JSON.parse(str(row, 'initial_data'));
  return state;
}

/** A workflow row (selected with `WORKFLOW_COLUMNS`) as a {@link StoredWorkflow}. */
export function toWorkflow(row: Row): StoredWorkflow {
  return {
    tenantId: str(row, 'tenant_id'),
    workflowId: str(row, 'workflow_id'),
    version: str(row, 'version'),
    definition: JSON.parse(str(row, 'definition')) as WorkflowDefinition,
    createdAt: str(row, 'created_at'),
  };
}

/** A node row as the readiness rules see it (status, `next_nodes`, `continued_on_fail`). */
export function toSnapshot(row: Row): NodeSnapshot {
  return {
    status: str(row, 'status') as NodeStatus,
    nextNodes: parseJson(row.next_nodes) as string[] | undefined,
    continuedOnFail: row.continued_on_fail === true,
  };
}

/** A DLQ row (selected with `DLQ_COLUMNS`) as a {@link DLQItem}. */
export function toDLQItem(row: Row): DLQItem {
  const item: DLQItem = {
    id: str(row, 'id'),
    workflowId: str(row, 'workflow_id'),
    executionId: str(row, 'execution_id'),
    nodeId: str(row, 'node_id'),
    tenantId: str(row, 'tenant_id'),
    error: str(row, 'error'),
    attempts: row.attempts as number,
    failedAt: str(row, 'failed_at'),
  };
  if (row.input_data !== null) item.inputData = JSON.parse(str(row, 'input_data'));
  if (row.stack !== null) item.stack = str(row, 'stack');
  return item;
}

/** A log row (`getLogs`) as a {@link LogEntry}. */
export function toLogEntry(row: Row): LogEntry {
  const entry: LogEntry = {
    executionId: str(row, 'execution_id'),
    level: str(row, 'level') as LogEntry['level'],
    message: str(row, 'message'),
    timestamp: str(row, 'timestamp'),
  };
  if (row.node_id !== null) entry.nodeId = str(row, 'node_id');
  if (row.meta !== null) entry.meta = JSON.parse(str(row, 'meta'));
  return entry;
}

/** A span row (`getSpans`) as a {@link Span}. */
export function toSpan(row: Row): Span {
  const span: Span = {
    spanId: str(row, 'span_id'),
    executionId: str(row, 'execution_id'),
    nodeId: str(row, 'node_id'),
    attempt: row.attempt as number,
    startedAt: str(row, 'started_at'),
    status: str(row, 'status') as Span['status'],
  };
  if (row.node_type !== null) span.nodeType = str(row, 'node_type');
  if (row.finished_at !== null) span.finishedAt = str(row, 'finished_at');
  if (row.error !== null) span.error = str(row, 'error');
  return span;
}

/** An execution row joined with one of its node rows as an {@link ActiveNode}. */
export function toActiveNode(row: Row): ActiveNode {
  const item: ActiveNode = {
    executionId: str(row, 'execution_id'),
    tenantId: str(row, 'tenant_id'),
    workflowId: str(row, 'workflow_id'),
    workflowVersion: str(row, 'workflow_version'),
    nodeId: str(row, 'node_id'),
    status: str(row, 'status') as ActiveNode['status'],
    attempts: row.attempts as number,
    createdAt: str(row, 'created_at'),
  };
  if (row.priority !== null) item.priority = row.priority as number;
  return item;
}
