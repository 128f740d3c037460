import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig('http'),
  defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } }),
);
