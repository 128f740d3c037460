import { fileURLToPath } from 'node:url';
import { ChildProcessLink } from './child-link.js';
import { CostProbe } from './cost-probe.js';
import { now } from './measure.js';
import { addCounters, countersPer, procCounters } from './proc-counters.js';
import { STALL_MS, waveSize, waves } from './run.js';
import type { ScaleConfig, ScaleOptions, ScaleResult } from './scale.js';
import { SCALE_MEASURED_RUNS, SCALE_REWARM, scaleSlots } from './scale.js';
import type { ScaleReply, WorkerCommand } from './scale-worker.js';
import { SpaneRunner } from './spane-runner.js';
import { openPostgresStore } from './stores.js';

const WORKER_ENTRY = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));

/**
 * One scale-out configuration's processes, alive for a whole session (see scale.ts): this
 * process is its API process, and runs the slots too in the one-process configuration; its
 * worker processes are children of this one. Warmed once, then measured once a repetition.
 */
export class ScaleSetUp {
  readonly #workers: ChildProcessLink<WorkerCommand, ScaleReply>[];

  private constructor(
    readonly config: ScaleConfig,
    readonly session: number,
    readonly options: ScaleOptions,
    readonly runner: SpaneRunner,
    workers: ChildProcessLink<WorkerCommand, ScaleReply>[],
  ) {
    this.#workers = workers;
  }

  /** Starts the API process's engine (here) and the worker processes, on a fresh prefix and schema. */
  static async open(config: ScaleConfig, session: number, o: ScaleOptions): Promise<ScaleSetUp> {
    const { workload } = o;
    const prefix = `bench-${o.runId}-scale-${config.key}-${session}`;
    const slots = scaleSlots(config, workload.concurrency);
    const opened = await openPostgresStore(o.databaseUrl);
    const runner = await SpaneRunner.start(
      'postgres',
      {
        workload,
        prefix,
        redisUrl: o.redisUrl,
        databaseUrl: o.databaseUrl,
        workers: slots.api,
      },
      opened,
    );
    const workers: ChildProcessLink<WorkerCommand, ScaleReply>[] = [];
    const setUp = new ScaleSetUp(config, session, o, runner, workers);
    try {
      for (let i = 0; i < config.processes; i++) {
        const w = new ChildProcessLink<WorkerCommand, ScaleReply>(WORKER_ENTRY, {
          REDIS_URL: o.redisUrl,
          DATABASE_URL: o.databaseUrl,
          SCALE_PREFIX: prefix,
          SCALE_SCHEMA: opened.schema!,
          SCALE_WORKLOAD: workload.id,
          SCALE_QUICK: o.quick ? '1' : '0',
          SCALE_WORKERS: String(slots.perWorker),
        });
        workers.push(w);
        await w.ask('ready', undefined, 60_000);
      }
    } catch (err) {
      await setUp.close();
      throw err;
    }
    return setUp;
  }

  /** Runs `executions` in waves of the measured run's size (a backlog would be another load). */
  async #waves(executions: number) {
    return waves(this.runner, executions, waveSize(this.options.workload), STALL_MS);
  }

  /** The warm-up executions (`options.warmup`); the failures, if any. */
  async warm(): Promise<string[]> {
    const warm = await this.#waves(this.options.warmup);
    return warm.failures.map((f) => `warm-up: ${f}`);
  }

  /**
   * CPU and node runs of the worker processes, node runs of this one, and what the store
   * pools of all of them sent.
   */
  async #read() {
    const replies = await Promise.all(this.#workers.map((w) => w.ask('cpu', { cmd: 'cpu' })));
    const sum = (pick: (r: (typeof replies)[number]) => number) =>
      replies.reduce((total, r) => total + pick(r), 0);
    const counters = replies.reduce((c, r) => addCounters(c, r.counters), procCounters());
    const own = this.runner.sql?.counts ?? { roundTrips: 0, statements: 0 };
    return {
      cpuUs: sum((r) => r.cpuUs),
      runs: sum((r) => r.runs) + this.runner.tally.runs,
      counters,
      sqlRoundTrips: sum((r) => r.sql.roundTrips) + own.roundTrips,
      sqlStatements: sum((r) => r.sql.statements) + own.statements,
    };
  }

  /**
   * One repetition: the workload once more before the clock (see {@link SCALE_REWARM}), then
   * {@link SCALE_MEASURED_RUNS} times under it.
   */
  async measure(rep: number): Promise<ScaleResult> {
    const { workload } = this.options;
    const rewarm = await this.#waves(workload.executions * SCALE_REWARM);
    const problems = rewarm.failures.map((f) => `re-warm: ${f}`);
    const probe = new CostProbe(this.runner.redis, this.runner.sql);
    const before = await this.#read();
    await probe.before();
    const t0 = now();
    const measured = workload.executions * SCALE_MEASURED_RUNS;
    const { ids, failures } = await this.#waves(measured);
    problems.push(...failures);
    const wallMs = now() - t0;
    const nodes = measured * workload.shape.nodes.length;
    const cost = await probe.after(nodes);
    const after = await this.#read();
    const workerCpuUs = (after.cpuUs - before.cpuUs) / nodes;
    if (after.runs - before.runs !== nodes) {
      problems.push(`${after.runs - before.runs} node runs, expected ${nodes}`);
    }
    problems.push(...(await this.runner.verify(ids)));
    return {
      config: this.config,
      session: this.session,
      rep,
      nodesPerSec: nodes / (wallMs / 1000),
      engineCpuUs: cost.engineCpuUs + workerCpuUs,
      workerCpuUs,
      redisCpuUs: cost.redisCpuUs,
      pgServerCpuUs: cost.pgServerCpuUs,
      redisCommands: cost.redisCommands,
      redisByCommand: cost.redisByCommand.slice(0, 6),
      sqlRoundTrips: (after.sqlRoundTrips - before.sqlRoundTrips) / nodes,
      sqlStatements: (after.sqlStatements - before.sqlStatements) / nodes,
      dbXacts: cost.sqlXacts,
      counters: countersPer(before.counters, after.counters, nodes),
      problems,
    };
  }

  /** Closes the worker processes, then this engine; what went wrong in the worker processes. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    for (const w of this.#workers) {
      const closed = await w.ask('closed', { cmd: 'close' }).catch((e: Error) => ({
        problems: [e.message],
      }));
      problems.push(...closed.problems);
    }
    await this.runner.close();
    return problems;
  }
}
