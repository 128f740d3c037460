/**
 * A worker process of the scale-out runs (see scale.ts): a SPANE engine on the run's Redis
 * prefix and PostgreSQL schema that only runs nodes (`SCALE_WORKERS` slots). It talks to
 * its parent over the IPC channel: `ready` once its workers run; on `cpu`, its CPU time
 * (µs), node runs, kernel counters and what its store's pool sent so far; on `close`, it
 * closes its engine and store and exits.
 */
import { WorkflowEngine } from '@spane/bullmq';
import { PostgresExecutionStore } from '@spane/store-postgres';
import type { SqlCounts, SqlObservation } from './cost-probe.js';
import { type ProcCounters, procCounters } from './proc-counters.js';
import type { ScaleResult } from './scale.js';
import { benchRegistry } from './spane-runner.js';
import { countingClient } from './stores.js';
import { type Tally, workloads } from './workloads.js';

/** What a worker process's parent (a set-up: scale-setup.ts) sends it. */
export type WorkerCommand = { cmd: 'cpu' } | { cmd: 'close' };

/** What a set-up's process (scale-run.ts) is sent by the bench. */
export type SetUpCommand = { cmd: 'warm' } | { cmd: 'measure'; rep: number } | { cmd: 'close' };

/** What a worker process (or scale-run.ts) sends. */
export type ScaleReply =
  | { kind: 'ready' }
  | { kind: 'warmed'; problems: string[] }
  | { kind: 'result'; result: ScaleResult }
  | { kind: 'cpu'; cpuUs: number; runs: number; counters: ProcCounters; sql: SqlCounts }
  | { kind: 'closed'; problems: string[] }
  | { kind: 'error'; message: string };

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const workload = workloads(process.env.SCALE_QUICK === '1').find(
    (w) => w.id === env('SCALE_WORKLOAD'),
  );
  if (!workload) throw new Error(`unknown workload ${process.env.SCALE_WORKLOAD}`);
  const tally: Tally = { runs: 0, problems: [] };
  const sql: SqlObservation = { counts: { roundTrips: 0, statements: 0 }, connections: new Set() };
  const store = new PostgresExecutionStore({
    connectionString: env('DATABASE_URL'),
    schema: env('SCALE_SCHEMA'),
    poolConfig: { max: 10, application_name: 'spane-bench-worker', Client: countingClient(sql) },
  });
  const errors: string[] = [];
  const engine = new WorkflowEngine(benchRegistry(workload, tally), store, env('REDIS_URL'), {
    prefix: env('SCALE_PREFIX'),
    logger: {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => {
        if (errors.length < 20) errors.push(`worker ${process.pid}: ${message}`);
      },
    },
  });
  await engine.startWorkers(Number(env('SCALE_WORKERS')));
  const send = (reply: ScaleReply) => process.send?.(reply);
  // Its parent went (killed, or it failed): nothing will close it.
  process.on('disconnect', () => process.exit());
  process.on('message', (command: WorkerCommand) => {
    if (command.cmd === 'cpu') {
      const { user, system } = process.cpuUsage();
      const counters = procCounters();
      send({
        kind: 'cpu',
        cpuUs: user + system,
        runs: tally.runs,
        counters,
        sql: { ...sql.counts },
      });
    } else if (command.cmd === 'close') {
      void (async () => {
        await engine.close();
        await store.close();
        send({ kind: 'closed', problems: [...tally.problems, ...errors] });
        process.disconnect?.();
      })();
    }
  });
  send({ kind: 'ready' });
}

main().catch((err: Error) => {
  process.send?.({ kind: 'error', message: err.stack ?? err.message } satisfies ScaleReply);
  process.exitCode = 1;
  process.disconnect?.();
});
