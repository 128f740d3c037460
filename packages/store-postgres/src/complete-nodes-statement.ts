import { FINAL_NODE_STATUSES, TERMINAL_EXECUTION_STATUSES } from '@spane/core/store';
import { NOW, sql } from './sql.js';
import type { Tables } from './tables.js';

/**
 * Completes one or more nodes, of one or more executions, each firing every edge to
 * its children: per node $1 execution, $2 id, $3 'completed' | 'failed'
 * (continueOnFail), $4 data (jsonb text) and $5 whether it is set, $6 nextNodes (jsonb
 * text or NULL), $7 error, $27 the completing run's token (or NULL: not fenced); $8–$10
 * the edges (execution, parent, child) out of these nodes, $26 whether a child this edge
 * makes ready starts (`running`, attempt 1) instead of being queued (not in a paused
 * execution) and $28 the token then holding it; their spans ($11 id or NULL for
 * none, $12 execution, $13 node, $14 node type, $15 attempt, $16 start, $17 end, $18
 * status, $19 error) and log lines ($20–$25: execution, node, level, message, meta,
 * timestamp).
 *
 * The executions' rows are locked first (`l`, in id order, so two such statements
 * cannot deadlock); `l` yields those rows' newest versions, and updates of other rows
 * changed since this statement's snapshot are re-checked and applied to their newest
 * version (READ COMMITTED), so the counters and `remaining` count every completion. A
 * child whose counter reaches 0 here is queued by this statement only.
 *
 * Fencing: a node held by another run than the completion's token is updated to itself
 * (which locks it and decides on its newest version, as for the rest) and comes back
 * with `recorded` false: its outcome is not written, nothing downstream of it moves.
 */
export function completeNodesText({
  executions,
  nodes,
  logs,
  spans,
}: Pick<Tables, 'executions' | 'nodes' | 'logs' | 'spans'>): string {
  const terminal = sql`${TERMINAL_EXECUTION_STATUSES}`.text;
  const done = sql`${FINAL_NODE_STATUSES}`.text;
  const now = NOW.text;
  // The completion is by the node's holder, or the node or the call is not fenced.
  const ok = '(v.run_token IS NULL OR n.run_token IS NULL OR n.run_token = v.run_token)';
  return `WITH l AS (
        SELECT execution_id, status FROM ${executions.text}
        WHERE execution_id = ANY($1::text[]) ORDER BY execution_id FOR NO KEY UPDATE),
      v AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[],
          $6::text[], $7::text[], $27::text[])
          AS v(execution_id, node_id, status, data, has_data, next_nodes, error, run_token)),
      x AS (
        UPDATE ${nodes.text} AS n SET
          status = CASE WHEN ${ok} THEN v.status ELSE n.status END,
          finished_at = CASE WHEN ${ok} THEN ${now} ELSE n.finished_at END,
          continued_on_fail = n.continued_on_fail OR (${ok} AND v.status = 'failed'),
          data = CASE WHEN ${ok} AND v.has_data THEN v.data::jsonb ELSE n.data END,
          next_nodes = CASE WHEN ${ok} THEN COALESCE(v.next_nodes::jsonb, n.next_nodes)
                            ELSE n.next_nodes END,
          error = CASE WHEN NOT ${ok} THEN n.error WHEN v.status = 'completed' THEN NULL
                       ELSE v.error END,
          run_token = CASE WHEN ${ok} THEN NULL ELSE n.run_token END
        FROM v
        WHERE n.execution_id = v.execution_id AND n.node_id = v.node_id
          AND n.status <> ALL(${done})
          AND EXISTS (SELECT 1 FROM l WHERE l.execution_id = v.execution_id
                                      AND l.status <> ALL(${terminal}))
        RETURNING n.execution_id, n.node_id, n.status = ANY(${done}) AS recorded),
      d AS (
        SELECT ed.execution_id, ed.child, count(*)::int AS k,
          bool_or(ed.start) AND EXISTS (SELECT 1 FROM l WHERE l.execution_id = ed.execution_id
                                          AND l.status IN ('pending', 'running')) AS start,
          max(ed.run_token) FILTER (WHERE ed.start) AS run_token
        FROM unnest($8::text[], $9::text[], $10::text[], $26::boolean[], $28::text[])
          AS ed(execution_id, parent, child, start, run_token)
        WHERE (ed.execution_id, ed.parent) IN (SELECT execution_id, node_id FROM x
                                               WHERE recorded)
        GROUP BY ed.execution_id, ed.child),
      c AS (
        UPDATE ${nodes.text} AS n SET open_parents = n.open_parents - d.k,
          status = CASE WHEN n.open_parents = d.k AND n.status = 'pending'
                        THEN CASE WHEN d.start THEN 'running' ELSE 'queued' END
                        ELSE n.status END,
          attempts = CASE WHEN n.open_parents = d.k AND n.status = 'pending' AND d.start
                          THEN 1 ELSE n.attempts END,
          started_at = CASE WHEN n.open_parents = d.k AND n.status = 'pending' AND d.start
                            THEN ${now} ELSE n.started_at END,
          run_token = CASE WHEN n.open_parents = d.k AND n.status = 'pending' AND d.start
                           THEN d.run_token ELSE n.run_token END
        FROM d JOIN ${nodes.text} AS o ON o.execution_id = d.execution_id AND o.node_id = d.child
        WHERE n.execution_id = d.execution_id AND n.node_id = d.child
        RETURNING n.execution_id, n.node_id, o.status AS was, n.open_parents, d.start),
      k AS (SELECT execution_id, count(*)::int AS settled FROM x WHERE recorded
            GROUP BY execution_id),
      e AS (
        UPDATE ${executions.text} AS ex SET remaining = ex.remaining - k.settled,
          status = CASE WHEN ex.remaining = k.settled THEN 'completed' ELSE ex.status END,
          completed_at = CASE WHEN ex.remaining = k.settled THEN ${now}
                              ELSE ex.completed_at END,
          version = CASE WHEN ex.remaining = k.settled THEN ex.version + 1 ELSE ex.version END
        FROM k WHERE ex.execution_id = k.execution_id
        RETURNING ex.execution_id, ex.status, ex.remaining),
      sp AS (
        INSERT INTO ${spans.text} (span_id, execution_id, node_id, node_type, attempt,
          started_at, finished_at, status, error)
        SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::int[],
          $16::timestamptz[], $17::timestamptz[], $18::text[], $19::text[])
        ON CONFLICT (span_id) DO UPDATE SET execution_id = EXCLUDED.execution_id,
          node_id = EXCLUDED.node_id, node_type = EXCLUDED.node_type,
          attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at,
          finished_at = EXCLUDED.finished_at, status = EXCLUDED.status, error = EXCLUDED.error),
      lg AS (
        INSERT INTO ${logs.text} (execution_id, node_id, level, message, meta, timestamp)
        SELECT g.execution_id, g.node_id, g.level, g.message, g.meta, g.ts
        FROM unnest($20::text[], $21::text[], $22::text[], $23::text[], $24::jsonb[],
          $25::timestamptz[]) WITH ORDINALITY AS g(execution_id, node_id, level, message, meta, ts, i)
        ORDER BY g.i)
      SELECT (SELECT json_object_agg(execution_id, status) FROM l)::text AS before,
        (SELECT json_object_agg(execution_id, json_build_array(status, remaining)) FROM e)::text
          AS after,
        (SELECT json_agg(json_build_array(execution_id, node_id)) FROM x WHERE recorded)::text
          AS recorded,
        (SELECT json_agg(json_build_array(execution_id, node_id)) FROM x WHERE NOT recorded)::text
          AS fenced,
        (SELECT json_agg(json_build_array(execution_id, node_id)) FROM c
          WHERE was = 'pending' AND open_parents = 0)::text AS ready,
        (SELECT json_agg(json_build_array(execution_id, node_id)) FROM c
          WHERE was = 'pending' AND open_parents = 0 AND start)::text AS started`;
}
