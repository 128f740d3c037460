import { type Scenario, sleep } from '../scenario.js';

/** FLUSHALL mid-workload: every queue, job and lock is gone; only the store knows the work. */
export const redisFlushall: Scenario = {
  name: 'redis-flushall',
  description: 'Redis FLUSHALL mid-workload',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
    ctx.note('FLUSHALL');
    await ctx.redis.flushAll();
  },
};
