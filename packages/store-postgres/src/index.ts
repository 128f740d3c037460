export { MIGRATIONS_TABLE, MIN_SERVER_VERSION } from './migrate.js';
export {
  PostgresExecutionStore,
  type PostgresExecutionStoreOptions,
} from './postgres-execution-store.js';
/** The drizzle-orm table definitions of the store (for queries and tools of your own). */
export * as schema from './schema.js';
