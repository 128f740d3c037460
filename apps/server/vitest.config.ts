import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig('server'),
  defineConfig({
    test: {
      // The inspector's files, which the server serves by default (built when missing).
      globalSetup: ['test/support/build-ui.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
