import { integer } from './call-arguments.js';
import type { Database } from './db.js';
import { sql, timestamp } from './sql.js';
import type { Tables } from './tables.js';

/** What {@link purgeExecutions} uses. */
export interface ExecutionPurgeContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes' | 'logs' | 'spans'>;
}

/**
 * `ExecutionStore.purgeExecutions`: deletes, oldest first, up to `limit` executions that
 * finished before a date, with their nodes, logs and spans; rows another transaction holds
 * are skipped.
 */
export async function purgeExecutions(
  ctx: ExecutionPurgeContext,
  options: { finishedBefore: string; limit?: number },
): Promise<number> {
  const { executions, nodes, logs, spans } = ctx.tables;
  const cutoff = timestamp(options.finishedBefore, 'finishedBefore');
  const limit = integer(options.limit, 'limit') ?? 1000;
  if (limit <= 0) return 0;
  const [rows] = await ctx.db.write([
    sql`WITH victims AS (
            SELECT execution_id FROM ${executions}
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < ${cutoff}
            ORDER BY completed_at, seq LIMIT ${limit}
            FOR UPDATE SKIP LOCKED),
          d AS (DELETE FROM ${executions} WHERE execution_id IN (SELECT execution_id FROM victims)
                RETURNING execution_id),
          dn AS (DELETE FROM ${nodes} WHERE execution_id IN (SELECT execution_id FROM d)),
          dl AS (DELETE FROM ${logs} WHERE execution_id IN (SELECT execution_id FROM d)),
          ds AS (DELETE FROM ${spans} WHERE execution_id IN (SELECT execution_id FROM d))
          SELECT count(*)::int AS purged FROM d`,
  ]);
  return rows![0]!.purged as number;
}
