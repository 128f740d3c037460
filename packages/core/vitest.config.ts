import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@spane/source'] },
  test: { include: ['test/**/*.test.ts'] },
});
