import { NOW } from './sql.js';
import type { Tables } from './tables.js';

/**
 * Creates one or more executions with their node rows: per execution $1–$12 (id,
 * tenant, workflow, version, initial data and metadata as jsonb text, parent execution
 * and node, depth, priority, idempotency key, remaining) and $19 its status ('running'
 * when an entry node starts with it, else 'pending'); per node $13–$18 (execution,
 * node, ordinal, status, skip reason, open parents) and $20 the token holding it (or
 * NULL) — a `running` node has attempt 1.
 * An execution that conflicts (its id or its idempotency key) is not in the result and
 * nothing of it is written.
 */
export function createExecutionsText({
  executions,
  nodes,
}: Pick<Tables, 'executions' | 'nodes'>): string {
  const now = NOW.text;
  return `WITH v AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
          $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[], $12::int[],
          $19::text[])
          AS v(execution_id, tenant_id, workflow_id, workflow_version, initial_data,
               parent_execution_id, parent_node_id, depth, priority, idempotency_key,
               metadata, remaining, status)),
      e AS (
        INSERT INTO ${executions.text} (execution_id, tenant_id, workflow_id, workflow_version,
          status, initial_data, created_at, started_at, parent_execution_id, parent_node_id,
          depth, priority, idempotency_key, metadata, version, remaining)
        SELECT v.execution_id, v.tenant_id, v.workflow_id, v.workflow_version, v.status,
          v.initial_data::jsonb, ${now}, CASE WHEN v.status = 'running' THEN ${now} END,
          v.parent_execution_id, v.parent_node_id, v.depth,
          v.priority, v.idempotency_key, v.metadata::jsonb, 0, v.remaining
        FROM v
        ON CONFLICT DO NOTHING
        RETURNING execution_id, created_at),
      n AS (
        INSERT INTO ${nodes.text} (execution_id, node_id, ordinal, status, skip_reason,
          finished_at, open_parents, attempts, started_at, run_token)
        SELECT e.execution_id, w.node_id, w.ordinal, w.status, w.skip_reason,
          CASE WHEN w.status = 'skipped' THEN e.created_at END, w.open_parents,
          CASE WHEN w.status = 'running' THEN 1 ELSE 0 END,
          CASE WHEN w.status = 'running' THEN e.created_at END, w.run_token
        FROM e JOIN unnest($13::text[], $14::text[], $15::int[], $16::text[], $17::text[],
          $18::int[], $20::text[])
          AS w(execution_id, node_id, ordinal, status, skip_reason, open_parents, run_token)
          ON w.execution_id = e.execution_id)
      SELECT json_object_agg(execution_id,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text AS created
      FROM e`;
}
