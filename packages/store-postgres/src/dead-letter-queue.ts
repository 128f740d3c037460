import { randomUUID } from 'node:crypto';
import {
  DEFAULT_TENANT,
  DLQ_PAGE,
  type DLQFilter,
  type DLQItem,
  type DLQPage,
  type NewDLQItem,
  pageLimit,
  parseSeqCursor,
  type TenantScope,
} from '@spane/core/store';
import { integer, tenantOf } from './call-arguments.js';
import { DLQ_COLUMNS } from './columns.js';
import type { Database } from './db.js';
import { newestFirstPage } from './keyset-page.js';
import { toDLQItem } from './row-mapping.js';
import { join, json, NOW, raw, type Sql, sql, timestamp } from './sql.js';
import type { Tables } from './tables.js';

// The dead-letter queue: node runs that failed for good, kept for inspection and retry.

/** What the DLQ operations use. */
export interface DeadLetterContext {
  db: Database;
  tables: Pick<Tables, 'dlq'>;
}

/** `ExecutionStore.addDLQItem`: stores an item under a new id. */
export async function addDLQItem(ctx: DeadLetterContext, item: NewDLQItem): Promise<DLQItem> {
  const id = randomUUID();
  const failedAt = item.failedAt === undefined ? NOW : timestamp(item.failedAt, 'failedAt');
  const [rows] = await ctx.db.write([
    sql`INSERT INTO ${ctx.tables.dlq} (id, tenant_id, workflow_id, execution_id, node_id,
            input_data, error, stack, attempts, failed_at)
          VALUES (${id}, ${item.tenantId ?? DEFAULT_TENANT}, ${item.workflowId},
            ${item.executionId}, ${item.nodeId}, ${json(item.inputData, 'DLQ inputData')},
            ${item.error}, ${item.stack}, ${integer(item.attempts, 'attempts')}, ${failedAt})
          RETURNING ${DLQ_COLUMNS}`,
  ]);
  return toDLQItem(rows![0]!);
}

/** `ExecutionStore.listDLQItems`: items newest first, by keyset pages (the cursor is a `seq`). */
export async function listDLQItems(
  ctx: DeadLetterContext,
  filter: DLQFilter = {},
): Promise<DLQPage> {
  const limit = pageLimit(filter.limit, DLQ_PAGE);
  const before = parseSeqCursor(filter.cursor);
  const where = [ofTenants(filter)];
  if (before !== undefined) where.push(sql`seq < ${raw(before)}`);
  const [rows] = await ctx.db.read(
    sql`SELECT ${DLQ_COLUMNS}, seq FROM ${ctx.tables.dlq} WHERE ${join(where, ' AND ')}
          ORDER BY seq DESC LIMIT ${limit + 1}`,
  );
  return newestFirstPage(rows!, limit, toDLQItem);
}

/** `ExecutionStore.countDLQItems`: how many items the tenant (or every tenant) has. */
export async function countDLQItems(
  ctx: DeadLetterContext,
  scope: TenantScope & { allTenants?: boolean } = {},
): Promise<number> {
  const [rows] = await ctx.db.read(
    sql`SELECT count(*)::int AS n FROM ${ctx.tables.dlq} WHERE ${ofTenants(scope)}`,
  );
  return rows![0]!.n as number;
}

function ofTenants(scope: TenantScope & { allTenants?: boolean }): Sql {
  return scope.allTenants ? raw('TRUE') : sql`tenant_id = ${tenantOf(scope)}`;
}

/** `ExecutionStore.getDLQItem`: an item (with `tenantId`, only that tenant's), or null. */
export async function getDLQItem(
  ctx: DeadLetterContext,
  id: string,
  tenantId?: string,
): Promise<DLQItem | null> {
  const tenant = tenantId === undefined ? raw('TRUE') : sql`tenant_id = ${tenantId}`;
  const [rows] = await ctx.db.read(
    sql`SELECT ${DLQ_COLUMNS} FROM ${ctx.tables.dlq} WHERE id = ${id} AND ${tenant}`,
  );
  return rows![0] ? toDLQItem(rows![0]) : null;
}

/** `ExecutionStore.removeDLQItem`: false when there was no such item. */
export async function removeDLQItem(ctx: DeadLetterContext, id: string): Promise<boolean> {
  const [rows] = await ctx.db.write([
    sql`DELETE FROM ${ctx.tables.dlq} WHERE id = ${id} RETURNING 1 AS removed`,
  ]);
  return rows!.length === 1;
}
