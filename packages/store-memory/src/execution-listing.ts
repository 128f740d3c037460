import {
  ACTIVE_NODE_PAGE,
  type ActiveNode,
  type ActiveNodePage,
  DEFAULT_TENANT,
  EXECUTION_PAGE,
  type ExecutionFilter,
  type ExecutionPage,
  isActiveExecutionStatus,
  pageLimit,
  parseSeqCursor,
  parseSeqKeyCursor,
  parseTimeBound,
  seqKeyCursor,
} from '@spane/core/store';
import { type ExecutionRecord, summary } from './execution-records.js';

/** A page of the executions matching `filter`, newest first, after its cursor. */
export function listExecutions(
  records: Iterable<ExecutionRecord>,
  filter: ExecutionFilter,
): ExecutionPage {
  const limit = pageLimit(filter.limit, EXECUTION_PAGE);
  const before = Number(parseSeqCursor(filter.cursor) ?? Number.POSITIVE_INFINITY);
  const after = timeBound(filter.createdAfter, 'createdAfter', Number.NEGATIVE_INFINITY);
  const until = timeBound(filter.createdBefore, 'createdBefore', Number.POSITIVE_INFINITY);
  const tenantId = filter.tenantId ?? DEFAULT_TENANT;
  const statuses =
    filter.status === undefined
      ? undefined
      : new Set(Array.isArray(filter.status) ? filter.status : [filter.status]);
  const matches = [...records]
    .filter(
      ({ state, seq }) =>
        seq < before &&
        state.tenantId === tenantId &&
        inRange(Date.parse(state.createdAt), after, until) &&
        (filter.workflowId === undefined || state.workflowId === filter.workflowId) &&
        (statuses === undefined || statuses.has(state.status)) &&
        (filter.parentExecutionId === undefined ||
          state.parentExecutionId === filter.parentExecutionId),
    )
    .sort((a, b) => b.seq - a.seq);
  const page = matches.slice(0, limit);
  const result: ExecutionPage = { items: page.map((r) => summary(r.state)) };
  if (matches.length > limit) result.nextCursor = String(page[page.length - 1]!.seq);
  return result;
}

/** Epoch milliseconds of a filter's time bound, or `absent` without one. */
function timeBound(value: string | undefined, name: string, absent: number): number {
  const iso = parseTimeBound(value, name);
  return iso === undefined ? absent : Date.parse(iso);
}

/** `after <= ms < until`. */
function inRange(ms: number, after: number, until: number): boolean {
  return ms >= after && ms < until;
}

/**
 * A page of the queued, running and delayed nodes of active executions, by execution
 * creation order then node id, after the cursor.
 */
export function listActiveNodes(
  records: ReadonlyMap<string, ExecutionRecord>,
  options: { limit?: number; cursor?: string },
): ActiveNodePage {
  const limit = pageLimit(options.limit, ACTIVE_NODE_PAGE);
  const after = parseSeqKeyCursor(options.cursor);
  const afterSeq = after === undefined ? 0 : Number(after.seq);
  const afterNode = after?.key;
  const items: ActiveNode[] = [];
  const active = [...records.values()]
    .filter((r) => isActiveExecutionStatus(r.state.status) && r.seq >= afterSeq)
    .sort((a, b) => a.seq - b.seq);
  for (const { state, seq } of active) {
    // Node ids in code-unit order, the order the cursor compares in.
    const nodeIds = Object.keys(state.nodeResults).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const nodeId of nodeIds) {
      const node = state.nodeResults[nodeId]!;
      if (seq === afterSeq && afterNode !== undefined && nodeId <= afterNode) continue;
      if (node.status !== 'queued' && node.status !== 'running' && node.status !== 'delayed')
        continue;
      if (items.length === limit) {
        const last = items[items.length - 1]!;
        return {
          items,
          nextCursor: seqKeyCursor(records.get(last.executionId)!.seq, last.nodeId),
        };
      }
      const item: ActiveNode = {
        executionId: state.executionId,
        tenantId: state.tenantId,
        workflowId: state.workflowId,
        workflowVersion: state.workflowVersion,
        nodeId,
        status: node.status,
        attempts: node.attempts,
        createdAt: state.createdAt,
      };
      if (state.priority !== undefined) item.priority = state.priority;
      items.push(item);
    }
  }
  return { items };
}
