import { test as base } from 'vitest';
import type { WorkflowEngineOptions } from '../../src/index.js';
import { createHarness, type Harness } from './engine-harness.js';
import { startPrivateRedis } from './private-redis.js';

/**
 * Which Redis a fixture harness uses: the shared one (the default), another by URL, or a
 * `redis-server` of the test's own (for tests that flush Redis or cut its connections),
 * stopped after the harness has closed.
 */
export interface HarnessPlace {
  redisUrl?: string;
  privateRedis?: boolean;
  /** Give the engines a `secrets` vault (see `Harness.vault`). */
  secrets?: boolean;
}

/** Makes a harness (as `createHarness` does) that the fixture closes after the test. */
export type HarnessFactory = (
  options?: WorkflowEngineOptions,
  where?: HarnessPlace,
) => Promise<Harness>;

/**
 * The engine suite's `test`/`it`: a test that destructures `harness` gets a factory, and
 * every harness (and private Redis) it made is closed after the test, whether the test
 * passed or failed, the newest first, after the file's `afterEach` hooks have run.
 */
export const test = base.extend(
  'harness',
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern; this one has none.
  async ({}, { onCleanup }): Promise<HarnessFactory> => {
    const cleanups: (() => Promise<void>)[] = [];
    onCleanup(async () => {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, 'closing the test harnesses failed');
    });
    return async (options = {}, where = {}) => {
      let redisUrl = where.redisUrl;
      if (where.privateRedis) {
        const redis = await startPrivateRedis();
        cleanups.push(() => redis.stop());
        redisUrl = redis.url;
      }
      const harness = await createHarness(options, {
        ...(redisUrl === undefined ? {} : { redisUrl }),
        ...(where.secrets ? { secrets: true } : {}),
      });
      cleanups.push(() => harness.close());
      return harness;
    };
  },
);

/** The same as `test`, for files that read `it(…)`. */
export const it = test;
