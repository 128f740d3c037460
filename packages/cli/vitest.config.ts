import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig('cli'),
  defineConfig({
    test: {
      // Builds the CLI once; the tests run it as a child process. The server the tests start
      // serves the inspector: its files are built when missing.
      globalSetup: ['test/support/build-cli.ts', '../../apps/server/test/support/build-ui.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
