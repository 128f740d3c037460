import { type Scenario, sleep } from '../scenario.js';

/** `pg_ctl restart -m fast` mid-workload: every store connection is dropped at once. */
export const pgRestart: Scenario = {
  name: 'pg-restart-fast',
  description: 'PostgreSQL pg_ctl restart -m fast',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
    ctx.note('pg_ctl restart -m fast');
    await ctx.postgres.restartFast();
  },
};
