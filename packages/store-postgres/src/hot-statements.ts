import { beginNodeRunsText } from './begin-node-runs-statement.js';
import { completeNodesText } from './complete-nodes-statement.js';
import { createExecutionsText } from './create-executions-statement.js';
import { type PreparedStatement, preparedStatement } from './db.js';
import type { Tables } from './tables.js';
import { workflowReadText } from './workflow-read-statement.js';

/**
 * The statements of a node run — `beginNodeRun` and the one-round-trip `completeNode` —
 * (and the batched workflow read and execution creation) as single statements with bind
 * parameters, sent as named prepared statements: parsed and planned once per connection
 * instead of once per call (planning was most of their server time). Each runs in its own
 * implicit transaction.
 *
 * Their generic plans are made without statistics (estimates of 1–10 rows), so they are
 * written to leave the planner no bad choice, and a test checks the plans: executions and
 * node rows are reached by primary key, and no parameter array is re-scanned per row. For
 * instance `begin` compares the execution's status with a column of a subquery rather than
 * the constant 'pending', which would make the partial index of active executions usable
 * and, at an estimate of 2 rows, preferred — a scan of every active execution per batch.
 */
export interface HotStatements {
  /** Reads workflows (see {@link workflowReadText}). */
  workflows: PreparedStatement;
  /** Creates executions with their node rows (see {@link createExecutionsText}). */
  create: PreparedStatement;
  /** Starts node runs (see {@link beginNodeRunsText}). */
  begin: PreparedStatement;
  /** Completes nodes firing every edge (see {@link completeNodesText}). */
  complete: PreparedStatement;
}

/** The hot statements on `tables`, named once (the names derive from the texts). */
export function hotStatements(tables: Tables): HotStatements {
  return {
    workflows: preparedStatement(workflowReadText(tables)),
    create: preparedStatement(createExecutionsText(tables)),
    begin: preparedStatement(beginNodeRunsText(tables)),
    complete: preparedStatement(completeNodesText(tables)),
  };
}
