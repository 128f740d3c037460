import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresExecutionStore, type PostgresExecutionStoreOptions } from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name, so test files running in parallel never share tables. */
export function schemaName(): string {
  return `spane_t_${randomBytes(6).toString('hex')}`;
}

export function store(
  schema: string,
  options: Omit<PostgresExecutionStoreOptions, 'schema'> = {},
): PostgresExecutionStore {
  return new PostgresExecutionStore({ connectionString: DATABASE_URL, schema, ...options });
}

/** Creates and migrates a schema of its own. */
export async function createSchema(schema = schemaName()): Promise<string> {
  const s = store(schema);
  try {
    await s.migrate();
  } finally {
    await s.close();
  }
  return schema;
}

/** Runs one statement on a connection of its own. */
export async function admin<T extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await client.query<T>(text, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Empties every table of the schema (the migrations table stays). */
export async function truncate(schema: string): Promise<void> {
  const tables = [
    'workflows',
    'workflow_heads',
    'executions',
    'node_states',
    'logs',
    'spans',
    'dlq',
    'secret_data_keys',
    'secrets',
    'api_keys',
    'execution_signals',
  ];
  await admin(`TRUNCATE ${tables.map((t) => `"${schema}".${t}`).join(', ')}`);
}

/** Calls `onQuery` with the first argument of every query sent on the pool's connections. */
export function watchQueries(pool: pg.Pool, onQuery: (config: unknown) => void): void {
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      onQuery(args[0]);
      return query(...args);
    };
  });
}
