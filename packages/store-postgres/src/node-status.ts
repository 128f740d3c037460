import { FINAL_NODE_STATUSES, TERMINAL_EXECUTION_STATUSES } from '@spane/core/store';
import type { Database } from './db.js';
import { raw, sql } from './sql.js';
import type { Tables } from './tables.js';
import { BEGIN, COMMIT } from './transaction-statements.js';

/** What {@link setNodeStatus} uses. */
export interface NodeStatusContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes'>;
}

/**
 * `ExecutionStore.setNodeStatus`: parks a node that has not finished (queued, delayed,
 * waiting) in an execution that has not finished; false when it did not apply.
 */
export async function setNodeStatus(
  ctx: NodeStatusContext,
  executionId: string,
  nodeId: string,
  status: 'queued' | 'delayed' | 'waiting',
  options: { error?: string } = {},
): Promise<boolean> {
  const { executions, nodes } = ctx.tables;
  const id = sql`execution_id = ${executionId}`;
  const error = options.error === undefined ? raw('error') : sql`${options.error}`;
  const [, , updated] = await ctx.db.write([
    BEGIN,
    sql`SELECT 1 FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
    sql`UPDATE ${nodes} SET status = ${status}, error = ${error}
          WHERE ${id} AND node_id = ${nodeId} AND status <> ALL(${FINAL_NODE_STATUSES})
            AND EXISTS (SELECT 1 FROM ${executions} WHERE ${id} AND status <> ALL(${TERMINAL_EXECUTION_STATUSES}))
          RETURNING 1 AS updated`,
    COMMIT,
  ]);
  return updated!.length === 1;
}
