import {
  assertStatusChange,
  ExecutionNotFoundError,
  type ExecutionState,
  type ExecutionStatus,
  InvalidArgumentError,
  type SetStatusOptions,
  statusChangeEffects,
  VersionConflictError,
} from '@spane/core/store';
import { integer } from './call-arguments.js';
import { EXECUTION_COLUMNS, NODE_COLUMNS } from './columns.js';
import type { Database } from './db.js';
import { str, toExecution } from './row-mapping.js';
import { join, json, NOW, raw, type Sql, sql } from './sql.js';
import type { Tables } from './tables.js';
import { BEGIN, COMMIT } from './transaction-statements.js';

// Changes to an execution as a whole: its status, its metadata, a retry of its failed
// node. Each locks the execution row first and is one round trip.

/** What the execution updates use. */
export interface ExecutionUpdateContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes'>;
}

/**
 * `ExecutionStore.setExecutionStatus`. One round trip: lock the row and read its status
 * and version, apply the change only if the lifecycle (and `expectedVersion`) allow it,
 * and read the result. Whether it was applied is decided from the locked row, which no
 * one else can change meanwhile.
 */
export async function setExecutionStatus(
  ctx: ExecutionUpdateContext,
  executionId: string,
  status: ExecutionStatus,
  options: SetStatusOptions = {},
): Promise<ExecutionState> {
  const { executions, nodes } = ctx.tables;
  const id = sql`execution_id = ${executionId}`;
  const expected = integer(options.expectedVersion, 'expectedVersion');
  // `failed` → `running` is only for retryFailedNode (assertStatusChange).
  const effects = statusChangeEffects(status);
  const allowed = sql`${id} AND status = ANY(${effects.allowedFrom})${
    expected === undefined ? raw('') : sql` AND version = ${expected}`
  }`;
  const sets: Sql[] = [sql`status = ${status}`, raw('version = version + 1')];
  if (options.error !== undefined) sets.push(sql`error = ${options.error}`);
  const cancel =
    effects.cancelledNodeStatuses.length > 0
      ? sql`status = ANY(${effects.cancelledNodeStatuses})`
      : undefined;
  if (effects.finishes) {
    sets.push(sql`completed_at = ${NOW}`);
  } else if (status === 'running') {
    sets.push(sql`started_at = COALESCE(started_at, ${NOW})`);
  }
  const update = cancel
    ? sql`WITH e AS (UPDATE ${executions} SET ${join(sets)} WHERE ${allowed} RETURNING 1)
            UPDATE ${nodes} SET status = 'cancelled', finished_at = ${NOW}, run_token = NULL
            WHERE ${id} AND ${cancel} AND EXISTS (SELECT 1 FROM e)`
    : sql`UPDATE ${executions} SET ${join(sets)} WHERE ${allowed}`;
  const [, before, , after, nodeRows] = await ctx.db.write([
    BEGIN,
    sql`SELECT status, version FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
    update,
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${id}`,
    sql`SELECT ${NODE_COLUMNS} FROM ${nodes} WHERE ${id} ORDER BY ordinal`,
    COMMIT,
  ]);
  const row = before![0];
  if (!row) throw new ExecutionNotFoundError(executionId);
  const version = row.version as number;
  if (expected !== undefined && expected !== version) {
    throw new VersionConflictError(executionId, expected, version);
  }
  assertStatusChange(str(row, 'status') as ExecutionStatus, status);
  return toExecution(after![0]!, nodeRows!);
}

/** `ExecutionStore.updateExecutionMetadata`: merges `patch` into the metadata (shallow). */
export async function updateExecutionMetadata(
  ctx: ExecutionUpdateContext,
  executionId: string,
  patch: Record<string, unknown>,
  options: { expectedVersion?: number } = {},
): Promise<ExecutionState> {
  const { executions, nodes } = ctx.tables;
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw new InvalidArgumentError('metadata patch must be an object');
  }
  const id = sql`execution_id = ${executionId}`;
  const expected = integer(options.expectedVersion, 'expectedVersion');
  const check = expected === undefined ? raw('') : sql` AND version = ${expected}`;
  // `jsonb || jsonb` of two objects is a shallow merge, the right side winning.
  const [, before, , after, nodeRows] = await ctx.db.write([
    BEGIN,
    sql`SELECT version FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
    sql`UPDATE ${executions}
          SET metadata = metadata || ${json(patch, 'metadata patch')}, version = version + 1
          WHERE ${id}${check}`,
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${id}`,
    sql`SELECT ${NODE_COLUMNS} FROM ${nodes} WHERE ${id} ORDER BY ordinal`,
    COMMIT,
  ]);
  const row = before![0];
  if (!row) throw new ExecutionNotFoundError(executionId);
  if (expected !== undefined && expected !== row.version) {
    throw new VersionConflictError(executionId, expected, row.version as number);
  }
  return toExecution(after![0]!, nodeRows!);
}

/**
 * `ExecutionStore.retryFailedNode`: queues a failed execution's failed node again, with the
 * nodes its failure cancelled (held by no run); null when the execution or node is not failed.
 */
export async function retryFailedNode(
  ctx: ExecutionUpdateContext,
  executionId: string,
  nodeId: string,
): Promise<{ ready: string[] } | null> {
  const { executions, nodes } = ctx.tables;
  const id = sql`execution_id = ${executionId}`;
  const [, , revived] = await ctx.db.write([
    BEGIN,
    sql`SELECT 1 FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
    sql`WITH ok AS (
            SELECT 1 FROM ${executions} e JOIN ${nodes} n USING (execution_id)
            WHERE e.${id} AND e.status = 'failed' AND n.node_id = ${nodeId}
              AND n.status = 'failed' AND NOT n.continued_on_fail),
          u AS (
            UPDATE ${nodes}
            SET status = 'queued', finished_at = NULL, error = NULL, run_token = NULL
            WHERE ${id} AND (node_id = ${nodeId} OR status = 'cancelled')
              AND EXISTS (SELECT 1 FROM ok)
            RETURNING node_id, ordinal),
          e AS (
            UPDATE ${executions}
            SET status = 'running', error = NULL, completed_at = NULL, version = version + 1
            WHERE ${id} AND EXISTS (SELECT 1 FROM ok))
          SELECT node_id FROM u ORDER BY node_id = ${nodeId} DESC, ordinal`,
    COMMIT,
  ]);
  if (revived!.length === 0) return null;
  return { ready: revived!.map((r) => str(r, 'node_id')) };
}
