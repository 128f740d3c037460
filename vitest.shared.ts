import { join } from 'node:path';
import type { ViteUserConfig } from 'vitest/config';

// No `module`: Node ignores that condition, and a package's `module` build may not load in
// Node at all (@opentelemetry/api's has extensionless imports). Tests resolve as Node does.
const CONDITIONS = ['@spane/source', 'node', 'development|production'];

/**
 * Settings every package's vitest.config.ts spreads in: sibling packages resolve to their
 * TypeScript sources (the `@spane/source` export condition), and when SPANE_TEST_REPORT_DIR
 * is set (scripts/test.sh does) each package also writes a JSON report there, which the
 * script sums into one closing "N passed, N failed" line.
 */
export function sharedConfig(packageName: string): ViteUserConfig {
  const reportDir = process.env.SPANE_TEST_REPORT_DIR;
  return {
    resolve: { conditions: CONDITIONS },
    ssr: { resolve: { conditions: CONDITIONS } },
    test: {
      include: ['test/**/*.test.ts'],
      reporters: reportDir
        ? [
            'default',
            ['json', { outputFile: join(reportDir, `${packageName.replace(/\W+/g, '_')}.json`) }],
          ]
        : ['default'],
    },
  };
}
