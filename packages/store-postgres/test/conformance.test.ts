import { runStoreConformance } from '@spane/store-testkit';
import { afterAll, beforeAll } from 'vitest';
import { createSchema, dropSchema, schemaName, store, truncate } from './helpers.js';

// Each test file has a schema of its own, so files run in parallel without sharing state.
const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

runStoreConformance({
  name: 'store-postgres',
  createStore: () => store(schema),
  reset: () => truncate(schema),
});
