export { runStoreConformance, STORE_SUITES } from './run-store-conformance.js';
export type { StoreConformanceOptions, StoreSuiteName } from './types.js';
