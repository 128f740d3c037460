import { type Scenario, sleep } from '../scenario.js';

/** SIGKILL Redis mid-workload and start it again on its AOF after 1–2 s. */
export const redisKillRestart: Scenario = {
  name: 'redis-kill-restart',
  description: 'Redis SIGKILL, restarted 1-2 s later with its AOF',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
    const downMs = ctx.rng.int(1_000, 2_000);
    ctx.note(`SIGKILL redis ${ctx.redis.pid()}, down ${downMs} ms`);
    await ctx.redis.killAndRestart(downMs);
    ctx.note(`redis back as ${ctx.redis.pid()}`);
  },
};
