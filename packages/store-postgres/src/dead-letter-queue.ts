import { randomUUID } from 'node:crypto';
import { DEFAULT_TENANT, type DLQItem, type NewDLQItem, type TenantScope } from '@spane/core';
import { integer, tenantOf } from './call-arguments.js';
import { DLQ_COLUMNS } from './columns.js';
import type { Database } from './db.js';
import { toDLQItem } from './row-mapping.js';
import { json, NOW, raw, sql, timestamp } from './sql.js';
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

/** `ExecutionStore.listDLQItems`: items newest first, `start`…`end` inclusive (as slice). */
export async function listDLQItems(
  ctx: DeadLetterContext,
  options: TenantScope & { start?: number; end?: number; allTenants?: boolean } = {},
): Promise<DLQItem[]> {
  const start = Math.max(0, integer(options.start, 'start') ?? 0);
  const end = integer(options.end, 'end') ?? -1;
  if (end >= 0 && end < start) return [];
  const limit = end >= 0 ? sql`LIMIT ${end - start + 1}` : raw('');
  const [rows] = await ctx.db.read(
    sql`SELECT ${DLQ_COLUMNS} FROM ${ctx.tables.dlq}
          WHERE ${options.allTenants ? raw('TRUE') : sql`tenant_id = ${tenantOf(options)}`}
          ORDER BY seq DESC OFFSET ${start} ${limit}`,
  );
  let items = rows!.map(toDLQItem);
  if (end < -1) {
    // A negative end counts from the last item, as in Array.prototype.slice(start, end + 1).
    items = items.slice(0, Math.max(0, items.length + end + 1));
  }
  return items;
}

/** `ExecutionStore.getDLQItem`: an item, or null. */
export async function getDLQItem(ctx: DeadLetterContext, id: string): Promise<DLQItem | null> {
  const [rows] = await ctx.db.read(
    sql`SELECT ${DLQ_COLUMNS} FROM ${ctx.tables.dlq} WHERE id = ${id}`,
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
