import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig('cli'),
  defineConfig({
    test: {
      // Builds the CLI once; the tests run it as a child process.
      globalSetup: ['test/support/build-cli.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
