import type { LogEntry, NodeTelemetry } from '@spane/core/store';
import { integer } from './call-arguments.js';
import type { LogLine } from './log-queue.js';
import {
  checkText,
  isoDate,
  join,
  jsonText,
  type Sql,
  type SqlValue,
  sql,
  timestamp,
} from './sql.js';
import type { Tables } from './tables.js';

// The statements that write spans and log lines, rendered before any I/O: a value
// PostgreSQL cannot store throws here. Used by `appendLogs`/`recordSpan` and by the
// completions that carry their node's telemetry.

/** Log lines as rendered rows (values checked: a bad one throws before any I/O). */
export function logRows(entries: LogEntry[]): Sql[] {
  return entries.map((e) => lineRow(logLine(e)));
}

/** A log line checked and rendered for a statement's parameters. @throws InvalidArgumentError */
export function logLine(e: LogEntry): LogLine {
  return [
    checkText(e.executionId),
    checkText(e.nodeId ?? null),
    checkText(e.level),
    checkText(e.message),
    e.meta === undefined ? null : jsonText(e.meta, 'log meta'),
    isoDate(e.timestamp, 'log timestamp'),
  ];
}

/** A checked log line as a row of {@link insertLogRows}. */
export function lineRow([execution, node, level, message, meta, at]: LogLine): Sql {
  return sql`(${execution}, ${node}, ${level}, ${message}, ${meta}::jsonb, ${at}::timestamptz)`;
}

/** The insert of rendered log rows (see {@link logRows}), in their order. */
export function insertLogRows(tables: Pick<Tables, 'logs'>, rows: readonly Sql[]): Sql {
  return sql`INSERT INTO ${tables.logs} (execution_id, node_id, level, message, meta, timestamp)
            VALUES ${join(rows)}`;
}

/** The statements that write a span (replacing it) and append log lines. */
export function spanWrites(
  tables: Pick<Tables, 'logs' | 'spans'>,
  { span, logs = [] }: NodeTelemetry,
): Sql[] {
  const values: SqlValue[] = [
    span.spanId,
    span.executionId,
    span.nodeId,
    span.nodeType,
    integer(span.attempt, 'attempt'),
    timestamp(span.startedAt, 'span startedAt'),
    span.finishedAt === undefined ? null : timestamp(span.finishedAt, 'span finishedAt'),
    span.status,
    span.error,
  ];
  const rendered = join(values.map((v) => sql`${v}`));
  return [
    ...(logs.length > 0 ? [insertLogRows(tables, logRows(logs))] : []),
    sql`INSERT INTO ${tables.spans} (span_id, execution_id, node_id, node_type, attempt,
            started_at, finished_at, status, error)
          VALUES (${rendered})
          ON CONFLICT (span_id) DO UPDATE SET execution_id = EXCLUDED.execution_id,
            node_id = EXCLUDED.node_id, node_type = EXCLUDED.node_type,
            attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at,
            finished_at = EXCLUDED.finished_at, status = EXCLUDED.status,
            error = EXCLUDED.error`,
  ];
}
