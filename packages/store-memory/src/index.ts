export {
  InMemoryExecutionStore,
  type InMemoryExecutionStoreOptions,
} from './in-memory-execution-store.js';
