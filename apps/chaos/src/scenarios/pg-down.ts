import { type Scenario, sleep } from '../scenario.js';

/** PostgreSQL stopped for 10 s (longer than a node's retry budget with the defaults). */
export const pgDown10: Scenario = {
  name: 'pg-stopped-10s',
  description: 'PostgreSQL stopped for 10 s',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
    ctx.note('pg_ctl stop -m fast');
    await ctx.postgres.down();
    await sleep(10_000);
    await ctx.postgres.up();
    ctx.note('pg_ctl start');
  },
};
