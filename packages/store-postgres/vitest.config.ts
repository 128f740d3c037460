import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

const shared = sharedConfig('store-postgres');

export default defineConfig({
  ...shared,
  test: { ...shared.test, testTimeout: 60_000, hookTimeout: 60_000 },
});
