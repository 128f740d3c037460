import {
  ACTIVE_NODE_PAGE,
  type ActiveNodePage,
  EXECUTION_PAGE,
  type ExecutionFilter,
  type ExecutionPage,
  type ExecutionState,
  type ExecutionSummary,
  pageLimit,
  parseSeqCursor,
  parseSeqKeyCursor,
  parseTimeBound,
  seqKeyCursor,
} from '@spane/core/store';
import { tenantOf } from './call-arguments.js';
import { EXECUTION_COLUMNS, NODE_COLUMNS, SUMMARY } from './columns.js';
import type { Database } from './db.js';
import { newestFirstPage } from './keyset-page.js';
import { str, toActiveNode, toExecution, toSummary } from './row-mapping.js';
import { iso, join, raw, type Sql, sql } from './sql.js';
import type { Tables } from './tables.js';
import { BEGIN_SNAPSHOT, COMMIT } from './transaction-statements.js';

// Reads of executions: one with its nodes, pages of summaries, the active nodes of all.

/** What the execution reads use. */
export interface ExecutionReadContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes'>;
}

/** One execution matching `where` with its nodes, from one snapshot (one round trip). */
export async function readExecution(
  ctx: ExecutionReadContext,
  where: Sql,
): Promise<ExecutionState | null> {
  const { executions, nodes } = ctx.tables;
  const [, rows, nodeRows] = await ctx.db.read(
    BEGIN_SNAPSHOT,
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${where}`,
    sql`SELECT ${NODE_COLUMNS} FROM ${nodes}
          WHERE execution_id = (SELECT execution_id FROM ${executions} WHERE ${where})
          ORDER BY ordinal`,
    COMMIT,
  );
  return rows![0] ? toExecution(rows![0], nodeRows!) : null;
}

/** `ExecutionStore.getExecution`: the execution with its nodes, or null. */
export async function getExecution(
  ctx: ExecutionReadContext,
  executionId: string,
  tenantId?: string,
): Promise<ExecutionState | null> {
  return readExecution(ctx, byId(executionId, tenantId));
}

/** The execution `executionId`, and — with `tenantId` — only that tenant's (one lookup). */
function byId(executionId: string, tenantId: string | undefined): Sql {
  return tenantId === undefined
    ? sql`execution_id = ${executionId}`
    : sql`execution_id = ${executionId} AND tenant_id = ${tenantId}`;
}

/** `ExecutionStore.getExecutionSummary`: the execution without nodes and initial data, or null. */
export async function getExecutionSummary(
  ctx: ExecutionReadContext,
  executionId: string,
  tenantId?: string,
): Promise<ExecutionSummary | null> {
  const [rows] = await ctx.db.read(
    sql`SELECT ${SUMMARY} FROM ${ctx.tables.executions} WHERE ${byId(executionId, tenantId)}`,
  );
  return rows![0] ? toSummary(rows![0]) : null;
}

/** `ExecutionStore.listExecutions`: a tenant's summaries, newest first, by keyset pages. */
export async function listExecutions(
  ctx: ExecutionReadContext,
  filter: ExecutionFilter = {},
): Promise<ExecutionPage> {
  const limit = pageLimit(filter.limit, EXECUTION_PAGE);
  const before = parseSeqCursor(filter.cursor);
  const where: Sql[] = [sql`tenant_id = ${tenantOf(filter)}`];
  if (before !== undefined) where.push(sql`seq < ${raw(before)}`);
  if (filter.workflowId !== undefined) where.push(sql`workflow_id = ${filter.workflowId}`);
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    where.push(sql`status = ANY(${statuses})`);
  }
  if (filter.parentExecutionId !== undefined) {
    where.push(sql`parent_execution_id = ${filter.parentExecutionId}`);
  }
  const createdAfter = parseTimeBound(filter.createdAfter, 'createdAfter');
  if (createdAfter !== undefined) where.push(sql`created_at >= ${createdAfter}::timestamptz`);
  const createdBefore = parseTimeBound(filter.createdBefore, 'createdBefore');
  if (createdBefore !== undefined) where.push(sql`created_at < ${createdBefore}::timestamptz`);
  const [rows] = await ctx.db.read(
    sql`SELECT ${SUMMARY}, seq FROM ${ctx.tables.executions} WHERE ${join(where, ' AND ')}
          ORDER BY seq DESC LIMIT ${limit + 1}`,
  );
  return newestFirstPage(rows!, limit, toSummary);
}

/**
 * `ExecutionStore.listActiveNodes`: queued, running and delayed nodes of pending and running
 * executions (of every tenant), by keyset pages.
 */
export async function listActiveNodes(
  ctx: ExecutionReadContext,
  options: { limit?: number; cursor?: string } = {},
): Promise<ActiveNodePage> {
  const { executions, nodes } = ctx.tables;
  const limit = pageLimit(options.limit, ACTIVE_NODE_PAGE);
  // Keyset pagination by (execution seq, node id): the cursor is `<seq>:<nodeId>`.
  const cursor = parseSeqKeyCursor(options.cursor);
  let after = raw('');
  if (cursor !== undefined) {
    const seq = raw(cursor.seq);
    after = sql`AND (e.seq > ${seq} OR (e.seq = ${seq} AND n.node_id COLLATE "C" > ${cursor.key}))`;
  }
  const [rows] = await ctx.db.read(
    sql`SELECT e.seq, e.execution_id, e.tenant_id, e.workflow_id, e.workflow_version,
                 e.priority, ${raw(iso('e.created_at', 'created_at'))},
                 n.node_id, n.status, n.attempts
          FROM ${executions} e JOIN ${nodes} n USING (execution_id)
          WHERE e.status IN ('pending', 'running') AND n.status IN ('queued', 'running', 'delayed')
            ${after}
          ORDER BY e.seq, n.node_id COLLATE "C"
          LIMIT ${limit + 1}`,
  );
  const items = rows!.slice(0, limit).map(toActiveNode);
  const page: ActiveNodePage = { items };
  if (rows!.length > limit) {
    const last = rows![limit - 1]!;
    page.nextCursor = seqKeyCursor(str(last, 'seq'), str(last, 'node_id'));
  }
  return page;
}
