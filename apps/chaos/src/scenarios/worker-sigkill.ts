import { randomWorker, type Scenario, sleep } from '../scenario.js';

/** SIGKILL a random worker at random points of the workload; the supervisor restarts it. */
export const workerSigkill: Scenario = {
  name: 'worker-sigkill',
  description: 'SIGKILL of random workers at random points (each restarted)',
  async inject(ctx) {
    const kills = ctx.mode === 'short' ? 3 : 8;
    for (let i = 0; i < kills; i++) {
      await sleep(ctx.rng.int(500, (ctx.settings.spreadMs / kills) | 0));
      const pid = randomWorker(ctx);
      ctx.note(`SIGKILL worker ${pid}`);
      ctx.fleet.signal(pid, 'SIGKILL');
    }
  },
};
