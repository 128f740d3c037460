import { checkNewSignal } from '@spane/core/internal';
import type { ExecutionSignal, NewExecutionSignal, RecordSignalResult } from '@spane/core/store';
import type { Database, Row } from './db.js';
import { str } from './row-mapping.js';
import { iso, NOW, raw, type Sql, sql } from './sql.js';
import type { Tables } from './tables.js';

// Signals of executions: the first of each name per execution is kept (insert if absent).

/** What the signal operations use. */
export interface ExecutionSignalContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'signals'>;
}

/**
 * How often `recordSignal` runs its statement when it lost the race for a name to a
 * transaction that committed after the statement's snapshot was taken (see
 * {@link recordSignal}). A second run sees that row; more runs are a safety margin.
 */
const RECORD_ATTEMPTS = 3;

/** A signal row (`kind`, `payload` as text, `received_at` as ISO text) as an {@link ExecutionSignal}. */
function toSignal(name: string, row: Row): ExecutionSignal {
  return {
    name,
    kind: str(row, 'kind') as ExecutionSignal['kind'],
    payload: JSON.parse(str(row, 'payload')),
    receivedAt: str(row, 'received_at'),
  };
}

/** The execution `executionId`, and — with `tenantId` — only that tenant's. */
function byId(executionId: string, tenantId: string | undefined): Sql {
  return tenantId === undefined
    ? sql`execution_id = ${executionId}`
    : sql`execution_id = ${executionId} AND tenant_id = ${tenantId}`;
}

/**
 * `ExecutionStore.recordSignal`: one statement. It locks the execution row `FOR KEY SHARE`
 * (so a concurrent purge, which takes `FOR UPDATE`, neither deletes the execution under it
 * nor leaves the new signal behind; node writes, `FOR NO KEY UPDATE`, are not blocked),
 * inserts the signal with `ON CONFLICT DO NOTHING` — the primary key decides which of
 * concurrent callers records it — and otherwise reads the kept row.
 *
 * All parts of one statement read from one snapshot. When the conflicting row was
 * committed by a transaction the insert waited for, that snapshot does not show it: the
 * statement then reports the execution found but no row, and runs again (its new snapshot
 * shows the row).
 */
export async function recordSignal(
  ctx: ExecutionSignalContext,
  executionId: string,
  signal: NewExecutionSignal,
  tenantId?: string,
): Promise<RecordSignalResult | null> {
  const { name, kind, payloadText } = checkNewSignal(signal);
  if (typeof executionId !== 'string') return null;
  if (tenantId !== undefined && typeof tenantId !== 'string') return null;
  const { executions, signals } = ctx.tables;
  const statement = sql`WITH x AS MATERIALIZED (
        SELECT execution_id FROM ${executions} WHERE ${byId(executionId, tenantId)}
        FOR KEY SHARE),
      ins AS (
        INSERT INTO ${signals} (execution_id, name, kind, payload, received_at)
        SELECT execution_id, ${name}, ${kind}, ${payloadText}::jsonb, ${NOW} FROM x
        ON CONFLICT (execution_id, name) DO NOTHING
        RETURNING kind, payload, received_at),
      kept AS (
        SELECT s.kind, s.payload, s.received_at FROM ${signals} s
        WHERE s.execution_id = (SELECT execution_id FROM x) AND s.name = ${name}
          AND NOT EXISTS (SELECT 1 FROM ins)),
      r AS (
        SELECT TRUE AS recorded, * FROM ins
        UNION ALL SELECT FALSE AS recorded, * FROM kept)
      SELECT EXISTS (SELECT 1 FROM x) AS found, r.recorded, r.kind, r.payload::text AS payload,
        ${raw(iso('r.received_at', 'received_at'))}
      FROM (SELECT 1) AS one LEFT JOIN r ON TRUE`;
  for (let attempt = 1; attempt <= RECORD_ATTEMPTS; attempt++) {
    const [rows] = await ctx.db.write([statement]);
    const row = rows![0]!;
    if (row.found !== true) return null;
    if (row.recorded !== null) {
      return { recorded: row.recorded === true, signal: toSignal(name, row) };
    }
  }
  throw new Error(
    `recordSignal: signal '${name}' of execution '${executionId}' was neither recorded nor found`,
  );
}

/** `ExecutionStore.getSignal`: the signal kept under `name`, or null. */
export async function getSignal(
  ctx: ExecutionSignalContext,
  executionId: string,
  name: string,
): Promise<ExecutionSignal | null> {
  if (typeof name !== 'string' || typeof executionId !== 'string') return null;
  const [rows] = await ctx.db.read(
    sql`SELECT kind, payload::text AS payload, ${raw(iso('received_at'))}
          FROM ${ctx.tables.signals}
          WHERE execution_id = ${executionId} AND name = ${name}`,
  );
  return rows![0] ? toSignal(name, rows![0]) : null;
}
