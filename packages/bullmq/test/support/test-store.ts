import { randomBytes } from 'node:crypto';
import type { ExecutionStore } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { PostgresExecutionStore } from '@spane/store-postgres';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Which store the engine suite runs on: set per vitest project (see vitest.config.ts). */
export function storeKind(): 'memory' | 'postgres' {
  return process.env.SPANE_TEST_STORE === 'postgres' ? 'postgres' : 'memory';
}

/** A store of its own for one harness, and how to dispose of it. */
export interface TestStore {
  store: ExecutionStore;
  /** For Postgres: the schema, so another process can open the same store. */
  schema?: string;
  dispose(): Promise<void>;
}

/**
 * The store factory of the engine suite. Memory: a fresh `InMemoryExecutionStore`.
 * Postgres: a fresh schema on the shared server, migrated, dropped on dispose.
 */
export async function createTestStore(kind = storeKind()): Promise<TestStore> {
  if (kind === 'memory') {
    const store = new InMemoryExecutionStore();
    return { store, dispose: () => store.close() };
  }
  const schema = `spane_e_${randomBytes(6).toString('hex')}`;
  const store = new PostgresExecutionStore({ connectionString: DATABASE_URL, schema });
  await store.migrate();
  return {
    store,
    schema,
    async dispose() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string, url = DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
