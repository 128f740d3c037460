import { randomBytes } from 'node:crypto';
import type { ExecutionStore } from '@spane/core';
import { InMemoryExecutionStore, type InMemoryExecutionStoreOptions } from '@spane/store-memory';
import pg from 'pg';
import { countStatements } from './cost.js';
import type { SqlObservation } from './cost-probe.js';

/** An execution store opened for one runner; `dispose` closes it and drops what it created. */
export interface OpenedStore {
  store: ExecutionStore;
  dispose(): Promise<void>;
  /** For a store on PostgreSQL: its pool's `application_name` and what its connections sent. */
  sql?: SqlObservation;
  /** For a store on PostgreSQL: the schema made for it (other processes may open it too). */
  schema?: string;
}

export type Availability = { ok: true; version: string } | { ok: false; reason: string };

async function loadPostgresStore(): Promise<typeof import('@spane/store-postgres')> {
  return import('@spane/store-postgres');
}

/** Runs one statement on a connection of its own. */
async function adminQuery(databaseUrl: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Whether SPANE-on-Postgres can run: the `@spane/store-postgres` package loads and the
 * database answers. Never throws; the reason is printed when it cannot.
 */
export async function probePostgres(databaseUrl: string): Promise<Availability> {
  try {
    await loadPostgresStore();
  } catch (err) {
    return {
      ok: false,
      reason: `package @spane/store-postgres could not be loaded (${(err as Error).message})`,
    };
  }
  try {
    const { rows } = await adminQuery(databaseUrl, 'SHOW server_version');
    return { ok: true, version: String(rows[0]?.server_version ?? 'unknown') };
  } catch (err) {
    return {
      ok: false,
      reason: `database ${redactUrl(databaseUrl)} unreachable (${(err as Error).message})`,
    };
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** SPANE's in-process store (state lives in this process until purged). */
export function openMemoryStore(options: InMemoryExecutionStoreOptions = {}): OpenedStore {
  const store = new InMemoryExecutionStore(options);
  return { store, dispose: () => store.close() };
}

/**
 * A `pg.Client` class whose `query` calls add to `sql.counts` (one round trip each, and the
 * statements of its text) before going out unchanged — a measurement of what a pool sends —
 * and whose connections join `sql.connections` (for the cost probe's readings).
 */
export function countingClient(sql: SqlObservation): typeof pg.Client {
  return class CountingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as (...args: unknown[]) => Promise<pg.QueryResult>;
      (this as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text?: unknown } | undefined;
        const text = typeof first === 'string' ? first : first?.text;
        sql.counts.roundTrips += 1;
        sql.counts.statements += typeof text === 'string' ? Math.max(1, countStatements(text)) : 1;
        return query(...args);
      };
      sql.connections.add({
        pid: () => (this as unknown as { processID: number | null }).processID ?? undefined,
        uncounted: (text) => query(text),
      });
    }
  };
}

/**
 * A PostgresExecutionStore on a fresh schema of its own (migrated here, dropped by
 * `dispose`), with the store's default pool (its settings, 10 connections) whose connections
 * count what they send (see {@link countingClient}).
 */
export async function openPostgresStore(databaseUrl: string): Promise<OpenedStore> {
  const { PostgresExecutionStore } = await loadPostgresStore();
  const schema = `spane_bench_${randomBytes(5).toString('hex')}`;
  const sql: SqlObservation = { counts: { roundTrips: 0, statements: 0 }, connections: new Set() };
  const store = new PostgresExecutionStore({
    connectionString: databaseUrl,
    schema,
    poolConfig: { max: 10, application_name: 'spane-bench', Client: countingClient(sql) },
  });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    await adminQuery(databaseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    throw err;
  }
  return {
    store,
    sql,
    schema,
    async dispose() {
      await store.close();
      await adminQuery(databaseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
