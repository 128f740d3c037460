import { fileURLToPath } from 'node:url';
import { ChildProcessLink } from './child-link.js';
import { CostProbe } from './cost-probe.js';
import { now } from './measure.js';
import { addCounters, countersPer, type ProcCounters, procCounters } from './proc-counters.js';
import { waveSize, waves } from './run.js';
import type { ScaleCommand, ScaleReply } from './scale-worker.js';
import { SpaneRunner } from './spane-runner.js';
import { openPostgresStore } from './stores.js';
import { type Workload, workloads } from './workloads.js';

/**
 * The scale-out rows: one workload on store-postgres with its worker slots in its API
 * process (the main rows' set-up); split over two engine processes (the API process runs
 * half of them); in one worker process with an API process apart (it starts the
 * executions and hears them end, no workers); split over two worker processes with an API
 * process apart — the same slots in all. Each run gets fresh processes, prefix and schema.
 */
export interface ScaleConfig {
  name: string;
  /** Short name, for prefixes. */
  key: string;
  /** The share of the slots the API process runs (0 to 1). */
  apiShare: number;
  /** Worker processes, sharing the rest of the slots evenly. */
  processes: number;
}

export const SCALE_CONFIGS: readonly ScaleConfig[] = [
  { name: 'one process: API + workers', key: 'one', apiShare: 1, processes: 0 },
  {
    name: 'two processes: API + half the slots, a worker process the other half',
    key: 'two',
    apiShare: 0.5,
    processes: 1,
  },
  { name: 'API process + 1 worker process', key: 'api1', apiShare: 0, processes: 1 },
  { name: 'API process + 2 worker processes', key: 'api2', apiShare: 0, processes: 2 },
  // The one-process set-up a second time: how far a configuration's ratio to the first row
  // strays when nothing differs (the machine's noise between two runs of a repetition).
  {
    name: 'control: one process again',
    key: 'again',
    apiShare: 1,
    processes: 0,
  },
];

export interface ScaleResult {
  config: ScaleConfig;
  rep: number;
  nodesPerSec: number;
  /** CPU per node of every engine process (this one and the workers), µs. */
  engineCpuUs: number;
  /** Of which the worker processes'. */
  workerCpuUs: number;
  redisCpuUs: number;
  pgServerCpuUs: number;
  /** Redis commands per node (every process's: INFO commandstats). */
  redisCommands: number;
  /** The most called Redis commands, calls per node. */
  redisByCommand: { command: string; perNode: number }[];
  /** PostgreSQL transactions per node (every process's: pg_stat_database). */
  sqlXacts: number;
  /** Kernel counters per node of every engine process (API + workers). */
  counters: ProcCounters;
  problems: string[];
}

export interface ScaleOptions {
  workload: Workload;
  /** Warm-up executions in each configuration's fresh processes, before the clock. */
  warmup: number;
  redisUrl: string;
  databaseUrl: string;
  reps: number;
  runId: string;
  quick: boolean;
  /** Keys of the configurations to run (default: all). */
  configs?: readonly string[];
  log?: (line: string) => void;
}

/**
 * Warm-up executions of each scale-out run (its processes are fresh: see runScaleOut),
 * run in waves before the clock: enough for V8's optimizing compiler to be done in every
 * process. It goes on for tens of thousands of node runs in a fresh engine process, on a
 * helper thread whose CPU counts in the process's; with 200 (the figure until
 * 2026-12-06) it was still at work during the clock, and a configuration's worker
 * processes, each warmed by a share of the executions, paid it once each — more CPU a
 * node the more processes, which was the compiler's, not the engine's.
 */
export const SCALE_WARMUP = 10_000;

/**
 * Times the workload each scale-out run measures, one after the other (W2: 5 × 1,000
 * executions, 50,000 node runs, ~10 s), so that a run's figures average over more than one
 * wave's ramp and tail. Once (10,000 node runs, ~2 s) until 2026-12-06. Two runs of one
 * set-up still differ by up to ±30 % on a shared machine: the control row shows how much.
 */
export const SCALE_MEASURED_RUNS = 5;

/** A wave whose executions make no progress for this long is reported as stuck. */
const STALL_MS = 30_000;

const WORKER_ENTRY = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));
const RUN_ENTRY = fileURLToPath(new URL('./scale-run.ts', import.meta.url));

/**
 * Runs one configuration (in a process of its own: see scale-run.ts): this process is its
 * API process, and runs the slots too in the one-process configuration.
 */
export async function runConfig(
  config: ScaleConfig,
  rep: number,
  o: ScaleOptions,
): Promise<ScaleResult> {
  const { workload } = o;
  const prefix = `bench-${o.runId}-scale-${config.key}-${rep}`;
  const apiSlots = Math.round(workload.concurrency * config.apiShare);
  const opened = await openPostgresStore(o.databaseUrl);
  const runner = await SpaneRunner.start(
    'postgres',
    {
      workload,
      prefix,
      redisUrl: o.redisUrl,
      databaseUrl: o.databaseUrl,
      workers: apiSlots,
    },
    opened,
  );
  const workers: ChildProcessLink<ScaleCommand, ScaleReply>[] = [];
  const problems: string[] = [];
  const probe = new CostProbe(runner.redis, runner.sql);
  try {
    for (let i = 0; i < config.processes; i++) {
      const w = new ChildProcessLink<ScaleCommand, ScaleReply>(WORKER_ENTRY, {
        REDIS_URL: o.redisUrl,
        DATABASE_URL: o.databaseUrl,
        SCALE_PREFIX: prefix,
        SCALE_SCHEMA: opened.schema!,
        SCALE_WORKLOAD: workload.id,
        SCALE_QUICK: o.quick ? '1' : '0',
        SCALE_WORKERS: String(Math.ceil((workload.concurrency - apiSlots) / config.processes)),
      });
      workers.push(w);
      await w.ask('ready', undefined, 60_000);
    }
    // In waves of the measured run's size: a backlog of all of them would be another load.
    const perWave = waveSize(workload);
    const warm = await waves(runner, o.warmup, perWave, STALL_MS);
    problems.push(...warm.failures.map((f) => `warm-up: ${f}`));
    // CPU and node runs of the worker processes, and of this one.
    const read = async () => {
      const replies = await Promise.all(workers.map((w) => w.ask('cpu', { cmd: 'cpu' })));
      const sum = (pick: (r: (typeof replies)[number]) => number) =>
        replies.reduce((total, r) => total + pick(r), 0);
      const counters = replies.reduce((c, r) => addCounters(c, r.counters), procCounters());
      return {
        cpuUs: sum((r) => r.cpuUs),
        runs: sum((r) => r.runs) + runner.tally.runs,
        counters,
      };
    };
    const before = await read();
    await probe.before();
    const t0 = now();
    const measured = workload.executions * SCALE_MEASURED_RUNS;
    const { ids, failures } = await waves(runner, measured, perWave, STALL_MS);
    problems.push(...failures);
    const wallMs = now() - t0;
    const nodes = measured * workload.shape.nodes.length;
    const cost = await probe.after(nodes);
    const after = await read();
    const workerCpuUs = (after.cpuUs - before.cpuUs) / nodes;
    if (after.runs - before.runs !== nodes) {
      problems.push(`${after.runs - before.runs} node runs, expected ${nodes}`);
    }
    problems.push(...(await runner.verify(ids)));
    return {
      config,
      rep,
      nodesPerSec: nodes / (wallMs / 1000),
      engineCpuUs: cost.engineCpuUs + workerCpuUs,
      workerCpuUs,
      redisCpuUs: cost.redisCpuUs,
      pgServerCpuUs: cost.pgServerCpuUs,
      redisCommands: cost.redisCommands,
      redisByCommand: cost.redisByCommand.slice(0, 6),
      sqlXacts: cost.sqlXacts,
      counters: countersPer(before.counters, after.counters, nodes),
      problems,
    };
  } finally {
    await probe.close();
    for (const w of workers) {
      const closed = await w.ask('closed', { cmd: 'close' }).catch((e: Error) => ({
        problems: [e.message],
      }));
      problems.push(...closed.problems);
    }
    await runner.close();
  }
}

/** What scale-run.ts is told to run (`SCALE_RUN`, JSON). */
export interface ScaleRunRequest {
  config: number;
  rep: number;
  workload: Workload['id'];
  options: Omit<ScaleOptions, 'workload' | 'log'>;
}

/** The options of a {@link ScaleRunRequest}, its workload found again. */
export function scaleOptionsOf(request: ScaleRunRequest): ScaleOptions {
  const workload = workloads(request.options.quick).find((w) => w.id === request.workload);
  if (!workload) throw new Error(`unknown workload ${request.workload}`);
  return { ...request.options, workload };
}

/**
 * Every configuration × repetition, the configurations in a different order each
 * repetition; each run in fresh processes (an API process of its own, and its worker
 * processes), so that no configuration runs on code that earlier runs made hot.
 */
export async function runScaleOut(o: ScaleOptions): Promise<ScaleResult[]> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { workload, log: _, configs: keys, ...options } = o;
  const chosen = SCALE_CONFIGS.flatMap((c, index) =>
    !keys || keys.includes(c.key) ? [{ config: c, index }] : [],
  );
  const results: ScaleResult[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    for (let i = 0; i < chosen.length; i++) {
      const { config, index } = chosen[(i + rep - 1) % chosen.length]!;
      const request: ScaleRunRequest = { config: index, rep, workload: workload.id, options };
      const run = new ChildProcessLink<ScaleCommand, ScaleReply>(RUN_ENTRY, {
        SCALE_RUN: JSON.stringify(request),
      });
      let r: ScaleResult;
      try {
        ({ result: r } = await run.ask('result', undefined, 600_000));
      } finally {
        // It exits once it sent its result; one that failed or hangs is stopped.
        if (run.child.exitCode === null) run.child.kill();
      }
      log(
        `${o.workload.id} scale ${config.name} rep ${rep}/${o.reps}: ${r.nodesPerSec.toFixed(0)} nodes/s, engine CPU ${r.engineCpuUs.toFixed(0)} µs/node, Redis ${r.redisCommands.toFixed(1)} commands/node (${r.redisByCommand.map((c) => `${c.command} ${c.perNode.toFixed(2)}`).join(', ')}), SQL ${r.sqlXacts.toFixed(2)} xacts/node; engine processes a node: ${r.counters.readCalls.toFixed(1)} read / ${r.counters.writeCalls.toFixed(1)} write calls, ${r.counters.voluntarySwitches.toFixed(2)} waits, ${r.counters.involuntarySwitches.toFixed(2)} preemptions`,
      );
      results.push(r);
    }
  }
  return results;
}
