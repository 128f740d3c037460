import { FINAL_NODE_STATUSES, TERMINAL_EXECUTION_STATUSES } from '@spane/core/store';
import { runTokenArgument } from './call-arguments.js';
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
 * waiting) in an execution that has not finished; false when it did not apply — or, with
 * `runToken`, when another run holds the node (fencing). A `delayed` or `waiting` node
 * keeps its holder; a `queued` one is held by no run.
 */
export async function setNodeStatus(
  ctx: NodeStatusContext,
  executionId: string,
  nodeId: string,
  status: 'queued' | 'delayed' | 'waiting',
  options: { error?: string; runToken?: string } = {},
): Promise<boolean> {
  const { executions, nodes } = ctx.tables;
  const id = sql`execution_id = ${executionId}`;
  const error = options.error === undefined ? raw('error') : sql`${options.error}`;
  const runToken = runTokenArgument(options.runToken);
  const holder = status === 'queued' ? raw('NULL') : raw('run_token');
  const fence =
    runToken === null ? raw('') : sql` AND (run_token IS NULL OR run_token = ${runToken})`;
  const [, , updated] = await ctx.db.write([
    BEGIN,
    sql`SELECT 1 FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
    sql`UPDATE ${nodes} SET status = ${status}, error = ${error}, run_token = ${holder}
          WHERE ${id} AND node_id = ${nodeId} AND status <> ALL(${FINAL_NODE_STATUSES})${fence}
            AND EXISTS (SELECT 1 FROM ${executions} WHERE ${id} AND status <> ALL(${TERMINAL_EXECUTION_STATUSES}))
          RETURNING 1 AS updated`,
    COMMIT,
  ]);
  return updated!.length === 1;
}
