import { randomWorker, type Scenario, sleep } from '../scenario.js';

/** SIGTERM a worker mid-run (graceful close), twice; each is restarted. */
export const workerSigterm: Scenario = {
  name: 'worker-sigterm',
  description: 'SIGTERM of a worker mid-run (graceful close), twice',
  async inject(ctx) {
    for (let i = 0; i < 2; i++) {
      await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 2));
      const pid = randomWorker(ctx);
      ctx.note(`SIGTERM worker ${pid}`);
      ctx.fleet.signal(pid, 'SIGTERM');
    }
  },
};
