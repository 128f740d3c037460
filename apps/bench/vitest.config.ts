import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig('bench'),
  defineConfig({ test: { testTimeout: 90_000, hookTimeout: 30_000, fileParallelism: false } }),
);
