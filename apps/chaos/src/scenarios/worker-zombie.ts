import { ENGINE_TIMINGS, randomWorker, type Scenario, sleep } from '../scenario.js';

/**
 * SIGSTOP a worker for longer than its lock (its jobs are taken over), then SIGCONT: the
 * zombie's runs wake up after others re-ran their nodes.
 */
export const workerZombie: Scenario = {
  name: 'worker-zombie',
  description: 'SIGSTOP a worker past its lock, then SIGCONT (zombie)',
  async inject(ctx) {
    await sleep(ctx.rng.int(1_000, ctx.settings.spreadMs / 3));
    const pid = randomWorker(ctx);
    const pauseMs = 2 * ENGINE_TIMINGS.lockMs + 2 * ENGINE_TIMINGS.stalledMs;
    ctx.note(`SIGSTOP worker ${pid} for ${pauseMs} ms`);
    ctx.fleet.signal(pid, 'SIGSTOP');
    await sleep(pauseMs);
    ctx.fleet.signal(pid, 'SIGCONT');
    ctx.note(`SIGCONT worker ${pid}`);
  },
};
