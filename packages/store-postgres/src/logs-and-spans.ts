import type { LogEntry, Span } from '@spane/core/store';
import { integer } from './call-arguments.js';
import type { Database } from './db.js';
import type { LogLine, LogQueue } from './log-queue.js';
import { toLogEntry, toSpan } from './row-mapping.js';
import { iso, raw, sql } from './sql.js';
import type { Tables } from './tables.js';
import { insertLogRows, lineRow, logLine, spanWrites } from './telemetry-writes.js';
import { ASYNC_COMMIT, BEGIN, COMMIT } from './transaction-statements.js';

// Log lines and trace spans outside of a completion (which writes its own; see
// node-completion.ts). Both commit without waiting for the disk.

/** What the log and span operations use. */
export interface TelemetryContext {
  db: Database;
  tables: Pick<Tables, 'logs' | 'spans'>;
  /** `appendLogs` calls, written in call order (see {@link LogQueue}). */
  logs: LogQueue;
}

/** Writes `appendLogs` lines no completion carried, in their order, with one statement. */
export async function writeLogBatch(
  ctx: { db: Database; tables: Pick<Tables, 'logs'> },
  lines: readonly LogLine[],
): Promise<void> {
  await ctx.db.write([BEGIN, ASYNC_COMMIT, insertLogRows(ctx.tables, lines.map(lineRow)), COMMIT]);
}

/** `ExecutionStore.appendLogs`. */
export async function appendLogs(ctx: TelemetryContext, entries: LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  // Committed like spans, without waiting for the disk (unless a completion's statement
  // carries them); calls in flight together are written by one statement.
  await ctx.logs.append(entries.map(logLine));
}

/** `ExecutionStore.getLogs`: an execution's lines in append order. */
export async function getLogs(
  ctx: TelemetryContext,
  executionId: string,
  options: { limit?: number } = {},
): Promise<LogEntry[]> {
  const limit = integer(options.limit, 'limit');
  const [rows] = await ctx.db.read(
    sql`SELECT execution_id, node_id, level, message, meta::text AS meta, ${raw(iso('timestamp'))}
          FROM ${ctx.tables.logs} WHERE execution_id = ${executionId} ORDER BY id
          ${limit === undefined ? raw('') : sql`LIMIT ${Math.max(0, limit)}`}`,
  );
  return rows!.map(toLogEntry);
}

/** `ExecutionStore.recordSpan`: writes (replaces) a span and appends its log lines. */
export async function recordSpan(
  ctx: TelemetryContext,
  span: Span,
  logs: LogEntry[] = [],
): Promise<void> {
  // Replacing the whole row is idempotent, so it may be re-run after a lost connection
  // (appending logs is not: with logs, a lost commit is reported instead).
  await ctx.db.write(
    [BEGIN, ASYNC_COMMIT, ...spanWrites(ctx.tables, { span, logs }), COMMIT],
    logs.length === 0,
  );
}

/** `ExecutionStore.getSpans`: an execution's spans by start. */
export async function getSpans(ctx: TelemetryContext, executionId: string): Promise<Span[]> {
  const [rows] = await ctx.db.read(
    sql`SELECT span_id, execution_id, node_id, node_type, attempt,
                 ${raw(`${iso('started_at')}, ${iso('finished_at')}`)}, status, error
          FROM ${ctx.tables.spans} WHERE execution_id = ${executionId} ORDER BY started_at, seq`,
  );
  return rows!.map(toSpan);
}
