import { IN_FLIGHT_NODE_STATUSES } from '@spane/core/store';
import { NOW, sql } from './sql.js';
import type { Tables } from './tables.js';

/**
 * Starts one or more node runs: per run $1 execution, $2 node, $3 attempt (or NULL:
 * count up), $6 run token (or NULL: held by no run); $4/$5 pairs (run's position from 1,
 * node id) naming the node and its parents, whose rows come back. Commits without waiting
 * for the disk (`set_config(…, true)` is local to this statement's transaction).
 *
 * Fencing: a node already `running` (or `delayed`: a delay node's wake) under the run's
 * token keeps its stored attempt; with a token, any other node that is not `queued` gets
 * `max(attempt, attempts + 1)`. The node row's update re-reads a row changed since the
 * statement's snapshot (READ COMMITTED), so concurrent runs never share a number.
 */
export function beginNodeRunsText({
  executions,
  nodes,
}: Pick<Tables, 'executions' | 'nodes'>): string {
  const active = sql`${IN_FLIGHT_NODE_STATUSES}`.text;
  const now = NOW.text;
  const same = `s.status IN ('running', 'delayed') AND s.run_token = r.run_token`;
  return `WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)),
      r AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $6::text[])
          WITH ORDINALITY AS r(execution_id, node_id, attempts, run_token, i)),
      n AS (
        UPDATE ${nodes.text} AS s SET status = 'running',
          attempts = CASE
            WHEN ${same} THEN s.attempts
            WHEN r.run_token IS NOT NULL AND s.status <> 'queued'
              THEN GREATEST(COALESCE(r.attempts, 0), s.attempts + 1)
            ELSE COALESCE(r.attempts, s.attempts + 1) END,
          started_at = CASE WHEN ${same} THEN s.started_at ELSE ${now} END,
          run_token = r.run_token
        FROM r
        WHERE s.execution_id = r.execution_id AND s.node_id = r.node_id
          AND s.status = ANY(${active})
          AND (SELECT x.status FROM ${executions.text} AS x
               WHERE x.execution_id = r.execution_id) IN ('pending', 'running')
          AND EXISTS (SELECT 1 FROM cfg)
        RETURNING s.execution_id, s.node_id, s.attempts),
      e AS (
        UPDATE ${executions.text} AS ex SET status = 'running', started_at = ${now},
          version = ex.version + 1
        FROM (SELECT DISTINCT execution_id, 'pending'::text AS pending FROM n) AS m
        WHERE ex.execution_id = m.execution_id AND ex.status = m.pending),
      q AS (
        SELECT p.i, json_agg(json_build_object('node_id', s.node_id, 'status', s.status,
                  'data', s.data::text, 'error', s.error, 'next_nodes', s.next_nodes::text,
                  'continued_on_fail', s.continued_on_fail))::text AS nodes
        FROM unnest($4::int[], $5::text[]) AS p(i, node_id)
          JOIN r ON r.i = p.i
          JOIN ${nodes.text} AS s ON s.execution_id = r.execution_id AND s.node_id = p.node_id
        GROUP BY p.i)
      SELECT r.i, n.attempts AS started, x.status, x.initial_data::text AS initial_data,
        x.tenant_id, x.depth, x.parent_execution_id, x.priority, q.nodes
      FROM r LEFT JOIN n ON n.execution_id = r.execution_id AND n.node_id = r.node_id
        LEFT JOIN ${executions.text} AS x ON x.execution_id = r.execution_id
        LEFT JOIN q ON q.i = r.i
      ORDER BY r.i`;
}
