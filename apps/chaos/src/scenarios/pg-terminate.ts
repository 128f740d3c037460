import { type Scenario, sleep } from '../scenario.js';

/** `pg_terminate_backend` on every store connection, every 200–500 ms for 5 s. */
export const pgTerminateLoop: Scenario = {
  name: 'pg-terminate-backends',
  description: 'pg_terminate_backend of every client in a loop for 5 s',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 3));
    const until = Date.now() + 5_000;
    let ended = 0;
    while (Date.now() < until) {
      ended += await ctx.postgres.terminateBackends().catch(() => 0);
      await sleep(ctx.rng.int(200, 500));
    }
    ctx.note(`terminated ${ended} backends`);
  },
};
