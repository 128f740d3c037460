import type { ExecutionStore } from '@spane/core';

/** Names of the conformance suites, one per area of the `ExecutionStore` contract. */
export type StoreSuiteName =
  | 'workflows'
  | 'executions'
  | 'node-results'
  | 'start-on-complete'
  | 'fencing'
  | 'data-round-trip'
  | 'join-concurrency'
  | 'status-transitions'
  | 'optimistic-lock'
  | 'dlq-retry'
  | 'logs-spans'
  | 'retention'
  | 'active-nodes'
  | 'capabilities'
  | 'secrets'
  | 'api-keys'
  | 'signals';

/** Options of `runStoreConformance`. */
export interface StoreConformanceOptions {
  /** Shown in the `describe()` titles, e.g. `'store-postgres'`. */
  name: string;
  /**
   * Creates the store of one test. Called before each test (after `reset`); the suite
   * calls `store.close()` after each test.
   */
  createStore: () => ExecutionStore | Promise<ExecutionStore>;
  /** Called before each `createStore`, e.g. to truncate tables. */
  reset?: () => void | Promise<void>;
  /** The suites to run. @defaultValue every suite ({@link STORE_SUITES}) */
  suites?: StoreSuiteName[];
  /** Sizes of the join-concurrency suite. */
  concurrency?: {
    /** Parents of each join. @defaultValue 50 */
    joinParents?: number;
    /** Joins. @defaultValue 20 */
    joins?: number;
  };
}

/** What a suite gets from `runStoreConformance`. */
export interface SuiteContext {
  /** The store of the running test (call it inside `it`, not while registering). */
  store(): ExecutionStore;
  readonly joinParents: number;
  readonly joins: number;
}
