import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CostProbe } from './cost-probe.js';
import { now } from './measure.js';
import { wave } from './run.js';
import type { ScaleCommand, ScaleReply } from './scale-worker.js';
import { SpaneRunner } from './spane-runner.js';
import { openPostgresStore } from './stores.js';
import type { Workload } from './workloads.js';

/**
 * The scale-out rows: one workload on store-postgres with its worker slots in this process
 * (the normal row), then in one worker process with this process as the API (it starts the
 * executions and hears them end, no workers), then split over two worker processes — the
 * same slots in all. Each configuration gets a fresh prefix and schema.
 */
export interface ScaleConfig {
  name: string;
  /** Worker processes, each with `slots ÷ processes` slots (0: the slots run here). */
  processes: number;
}

export const SCALE_CONFIGS: readonly ScaleConfig[] = [
  { name: 'one process: API + workers', processes: 0 },
  { name: 'API process + 1 worker process', processes: 1 },
  { name: 'API process + 2 worker processes', processes: 2 },
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
  problems: string[];
}

export interface ScaleOptions {
  workload: Workload;
  redisUrl: string;
  databaseUrl: string;
  reps: number;
  runId: string;
  quick: boolean;
  log?: (line: string) => void;
}

/** A wave whose executions make no progress for this long is reported as stuck. */
const STALL_MS = 30_000;

const WORKER_ENTRY = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));

/** A worker process and the replies it sends, awaited one kind at a time. */
class WorkerProcess {
  readonly child: ChildProcess;
  readonly #waiters = new Map<ScaleReply['kind'], (reply: ScaleReply) => void>();
  #failed: Error | undefined;

  constructor(env: Record<string, string>) {
    this.child = fork(WORKER_ENTRY, [], {
      env: { ...process.env, ...env },
      execArgv: ['--conditions=@spane/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: ScaleReply) => {
      if (reply.kind === 'error') this.#fail(new Error(`worker process: ${reply.message}`));
      this.#waiters.get(reply.kind)?.(reply);
    });
    this.child.on('exit', (code) => this.#fail(new Error(`worker process exited (${code})`)));
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const resolve of this.#waiters.values())
      resolve({ kind: 'error', message: error.message });
  }

  /** Sends `command` (if any) and resolves with the next reply of `kind`. */
  ask<K extends ScaleReply['kind']>(kind: K, command?: ScaleCommand, timeoutMs = 30_000) {
    return new Promise<Extract<ScaleReply, { kind: K }>>((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      const timer = setTimeout(() => reject(new Error(`no '${kind}' from a worker`)), timeoutMs);
      this.#waiters.set(kind, (reply) => {
        clearTimeout(timer);
        this.#waiters.delete(kind);
        if (reply.kind === 'error') reject(new Error(reply.message));
        else resolve(reply as Extract<ScaleReply, { kind: K }>);
      });
      if (command) this.child.send(command);
    });
  }
}

async function runConfig(config: ScaleConfig, rep: number, o: ScaleOptions): Promise<ScaleResult> {
  const { workload } = o;
  const prefix = `bench-${o.runId}-scale-${config.processes}-${rep}`;
  const opened = await openPostgresStore(o.databaseUrl);
  const runner = await SpaneRunner.start(
    'postgres',
    {
      workload,
      prefix,
      redisUrl: o.redisUrl,
      databaseUrl: o.databaseUrl,
      workers: config.processes === 0 ? workload.concurrency : 0,
    },
    opened,
  );
  const workers: WorkerProcess[] = [];
  const problems: string[] = [];
  const probe = new CostProbe(runner.redis, runner.sql);
  try {
    for (let i = 0; i < config.processes; i++) {
      const w = new WorkerProcess({
        REDIS_URL: o.redisUrl,
        DATABASE_URL: o.databaseUrl,
        SCALE_PREFIX: prefix,
        SCALE_SCHEMA: opened.schema!,
        SCALE_WORKLOAD: workload.id,
        SCALE_QUICK: o.quick ? '1' : '0',
        SCALE_WORKERS: String(Math.ceil(workload.concurrency / config.processes)),
      });
      workers.push(w);
      await w.ask('ready', undefined, 60_000);
    }
    const warm = await wave(runner, workload.warmup, STALL_MS);
    problems.push(...warm.failures.map((f) => `warm-up: ${f}`));
    // CPU and node runs of the worker processes, and of this one.
    const read = async () => {
      const replies = await Promise.all(workers.map((w) => w.ask('cpu', { cmd: 'cpu' })));
      const sum = (pick: (r: (typeof replies)[number]) => number) =>
        replies.reduce((total, r) => total + pick(r), 0);
      return { cpuUs: sum((r) => r.cpuUs), runs: sum((r) => r.runs) + runner.tally.runs };
    };
    const before = await read();
    await probe.before();
    const t0 = now();
    const perWave = Math.ceil(workload.executions / workload.waves);
    const ids: string[] = [];
    for (let done = 0; done < workload.executions; done += perWave) {
      const w = await wave(runner, Math.min(perWave, workload.executions - done), STALL_MS);
      ids.push(...w.ids);
      problems.push(...w.failures);
    }
    const wallMs = now() - t0;
    const nodes = workload.executions * workload.shape.nodes.length;
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

/** Every configuration × repetition, the configurations in a different order each repetition. */
export async function runScaleOut(o: ScaleOptions): Promise<ScaleResult[]> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const results: ScaleResult[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    for (let i = 0; i < SCALE_CONFIGS.length; i++) {
      const config = SCALE_CONFIGS[(i + rep - 1) % SCALE_CONFIGS.length]!;
      const r = await runConfig(config, rep, o);
      log(
        `${o.workload.id} scale ${config.name} rep ${rep}/${o.reps}: ${r.nodesPerSec.toFixed(0)} nodes/s, engine CPU ${r.engineCpuUs.toFixed(0)} µs/node`,
      );
      results.push(r);
    }
  }
  return results;
}
