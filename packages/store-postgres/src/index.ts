export { MIGRATIONS_FOLDER, MIGRATIONS_TABLE, MIN_SERVER_VERSION } from './migrate.js';
export {
  PostgresExecutionStore,
  type PostgresExecutionStoreOptions,
} from './postgres-execution-store.js';
export * as schema from './schema.js';
