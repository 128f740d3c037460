import type { ExecutionStore } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import type { ServerConfig } from './config.js';

/** The store `config` asks for: PostgreSQL (migrated) when DATABASE_URL is set, else memory. */
export async function createExecutionStore(
  config: Pick<ServerConfig, 'databaseUrl' | 'databaseSchema'>,
): Promise<{ store: ExecutionStore; kind: 'postgres' | 'memory' }> {
  if (config.databaseUrl === undefined)
    return { store: new InMemoryExecutionStore(), kind: 'memory' };
  // Imported only when asked for, so a memory-store server never loads pg.
  let PostgresExecutionStore: typeof import('@spane/store-postgres').PostgresExecutionStore;
  try {
    ({ PostgresExecutionStore } = await import('@spane/store-postgres'));
  } catch (err) {
    throw new Error(
      `DATABASE_URL is set but @spane/store-postgres cannot be loaded (${(err as Error).message}); install it or unset DATABASE_URL to use the memory store`,
      { cause: err },
    );
  }
  const store = new PostgresExecutionStore({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
  });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw new Error(`PostgreSQL: migrations failed: ${(err as Error).message}`, { cause: err });
  }
  return { store, kind: 'postgres' };
}
