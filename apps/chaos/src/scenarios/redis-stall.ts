import { type Scenario, sleep } from '../scenario.js';

function redisStall(seconds: number): Scenario {
  return {
    name: `redis-sigstop-${seconds}s`,
    description: `Redis SIGSTOP for ${seconds} s (no process dies), then SIGCONT`,
    async inject(ctx) {
      await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
      ctx.note(`SIGSTOP redis for ${seconds} s`);
      ctx.redis.pause();
      await sleep(seconds * 1_000);
      ctx.redis.resume();
      ctx.note('SIGCONT redis');
    },
  };
}

/** Redis stalled 10 s: longer than the workers' locks. */
export const redisStall10 = redisStall(10);
/** Redis stalled 30 s. */
export const redisStall30 = redisStall(30);
