import { integer } from './call-arguments.js';
import type { Database } from './db.js';
import { str } from './row-mapping.js';
import { sql, timestamp } from './sql.js';
import type { Tables } from './tables.js';
import { BEGIN, COMMIT } from './transaction-statements.js';

/** What {@link purgeExecutions} uses. */
export interface ExecutionPurgeContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes' | 'logs' | 'spans' | 'signals'>;
}

/**
 * `ExecutionStore.purgeExecutions`: deletes, oldest first, up to `limit` executions that
 * finished before a date, with their nodes, logs, spans and signals; rows another
 * transaction holds are skipped (an execution a `recordSignal` is writing to too: it locks
 * the row `FOR KEY SHARE`).
 *
 * One transaction of two statements. The signals go in the second, whose snapshot is taken
 * once the first holds the executions' locks: a signal recorded after the first statement's
 * snapshot but before its lock (the lock was free by then) is visible to it, and a later
 * `recordSignal` waits for the lock and then finds the execution gone.
 */
export async function purgeExecutions(
  ctx: ExecutionPurgeContext,
  options: { finishedBefore: string; limit?: number },
): Promise<number> {
  const { executions, nodes, logs, spans, signals } = ctx.tables;
  const cutoff = timestamp(options.finishedBefore, 'finishedBefore');
  const limit = integer(options.limit, 'limit') ?? 1000;
  if (limit <= 0) return 0;
  return ctx.db.run(async (session) => {
    const [, rows] = await session.query(
      BEGIN,
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
            SELECT coalesce(json_agg(execution_id), '[]')::text AS ids FROM d`,
    );
    const ids = JSON.parse(str(rows![0]!, 'ids')) as string[];
    if (ids.length === 0) {
      await session.commit(COMMIT);
      return 0;
    }
    await session.commit(sql`DELETE FROM ${signals} WHERE execution_id = ANY(${ids})`, COMMIT);
    return ids.length;
  });
}
