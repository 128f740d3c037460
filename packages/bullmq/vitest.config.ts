import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The engine suite runs once per store: the same tests, a store factory chosen by
// SPANE_TEST_STORE (test/support/test-store.ts).
export default mergeConfig(
  sharedConfig('bullmq'),
  defineConfig({
    test: {
      testTimeout: 30_000,
      hookTimeout: 30_000,
      fileParallelism: false,
      projects: [
        {
          extends: true,
          // *.pg.test.ts need several processes sharing one store: Postgres only.
          test: {
            name: 'store-memory',
            env: { SPANE_TEST_STORE: 'memory' },
            exclude: ['**/*.pg.test.ts', '**/node_modules/**'],
          },
        },
        { extends: true, test: { name: 'store-postgres', env: { SPANE_TEST_STORE: 'postgres' } } },
      ],
    },
  }),
);
