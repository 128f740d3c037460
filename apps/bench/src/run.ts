import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BaselineDag } from './baseline-dag.js';
import { ChildProcessLink } from './child-link.js';
import type { NodeCost } from './cost.js';
import { CostProbe, pgStatStatementsAvailable } from './cost-probe.js';
import type { ImplCommand, ImplReply } from './impl-process.js';
import {
  allWithWatchdog,
  now,
  percentile,
  prefixFootprint,
  redisUsedMemory,
  StalledError,
  sampleRss,
  settledMemory,
} from './measure.js';
import type { ImplName, Runner, RunnerContext } from './runner.js';
import { SpaneRunner } from './spane-runner.js';
import { openMemoryStore, openPostgresStore, probePostgres } from './stores.js';
import { type Workload, workloads } from './workloads.js';

const IMPL_ENTRY = fileURLToPath(new URL('./impl-process.ts', import.meta.url));

/** The longest one repetition may take in its implementation's process. */
const RUN_TIMEOUT_MS = 30 * 60_000;

/** Figures of one repetition of one workload on one implementation. */
export interface RepResult {
  workload: Workload;
  impl: ImplName;
  rep: number;
  executions: number;
  completed: number;
  nodeRuns: number;
  wallMs: number;
  nodesPerSec: number;
  /** Per-execution latency, from the enqueue call to completion heard. */
  p50Ms: number;
  p99Ms: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  redisBefore: number;
  redisAfter: number;
  /** Keys left under the runner's prefix after the run (before cleanup). */
  prefixKeys: number;
  prefixBytes: number;
  prefixBiggest: { key: string; bytes: number }[];
  /** What a node cost (CPU, Redis commands, SQL), from snapshots around the clock. */
  cost?: NodeCost;
  /** Correctness problems (an empty list means the results were right). */
  problems: string[];
}

/** A wave whose executions make no progress for this long is reported as stuck (the default). */
export const STALL_MS = 30_000;

export interface BenchOptions {
  workloads: readonly Workload[];
  impls: readonly ImplName[];
  reps: number;
  redisUrl: string;
  databaseUrl: string;
  /** SPANE's `fairScheduling` engine option (its default, on, when absent). */
  fairScheduling?: boolean;
  /** A batch that makes no progress for this long is reported as stuck. @defaultValue {@link STALL_MS} */
  stallMs?: number;
  /**
   * Executions of W2's shape each implementation's process runs before its first
   * repetition, unmeasured (see {@link warmProcess}). @defaultValue 0
   */
  warm?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface BenchResult {
  results: RepResult[];
  /** Implementations that could not run, with the reason. */
  skipped: { impl: ImplName; reason: string }[];
  /** Correctness problems of the processes' warm-up (see BenchOptions.warm). */
  warmProblems: string[];
  postgresVersion?: string;
  /** Whether `pg_stat_statements` could be read (undefined: PostgreSQL not measured). */
  pgStatStatements?: boolean;
}

function createRunner(impl: ImplName, ctx: RunnerContext): Promise<Runner> {
  switch (impl) {
    case 'baseline':
      return BaselineDag.start(ctx);
    case 'memory':
      return SpaneRunner.start('memory', ctx, openMemoryStore());
    case 'postgres':
      return openPostgresStore(ctx.databaseUrl).then((opened) =>
        SpaneRunner.start('postgres', ctx, opened),
      );
  }
}

/**
 * Starts `count` executions at once; their ids, latencies and failures. Fails with a
 * StalledError when neither node runs here nor executions' ends move for `stallMs`.
 */
export async function wave(
  runner: Runner,
  count: number,
  stallMs: number,
): Promise<{ ids: string[]; latencies: number[]; failures: string[] }> {
  const latencies: number[] = [];
  const promises = Array.from({ length: count }, () => {
    const start = now();
    return runner.execute().then((id) => {
      latencies.push(now() - start);
      return id;
    });
  });
  const settled = await allWithWatchdog(promises, () => runner.tally.runs, stallMs);
  const ids: string[] = [];
  const failures: string[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') ids.push(s.value);
    else if (failures.length < 10) failures.push(String((s.reason as Error)?.message ?? s.reason));
  }
  const failed = settled.length - ids.length;
  if (failed > 10) failures.push(`${failed} executions failed in all`);
  return { ids, latencies, failures };
}

/**
 * Starts `total` executions in waves of `perWave` (each wave once the one before it
 * ended); their ids, latencies and failures, in order. Fails as {@link wave} does.
 */
export async function waves(
  runner: Runner,
  total: number,
  perWave: number,
  stallMs: number,
): Promise<{ ids: string[]; latencies: number[]; failures: string[] }> {
  const all = { ids: [] as string[], latencies: [] as number[], failures: [] as string[] };
  for (let done = 0; done < total; done += perWave) {
    const w = await wave(runner, Math.min(perWave, total - done), stallMs);
    all.ids.push(...w.ids);
    all.latencies.push(...w.latencies);
    all.failures.push(...w.failures);
  }
  return all;
}

/** The executions of a wave of `workload` (one at a time when it is sequential). */
export function waveSize(workload: Workload): number {
  return workload.mode === 'sequential' ? 1 : Math.ceil(workload.executions / workload.waves);
}

/** What {@link runOne} needs besides the workload, implementation and repetition. */
export type RunOneOptions = Pick<
  BenchOptions,
  'redisUrl' | 'databaseUrl' | 'stallMs' | 'fairScheduling'
> & { runId: string };

/** A runner's context for `workload` on `prefix` (a process's warm-up, or a repetition). */
function runnerContext(workload: Workload, prefix: string, options: RunOneOptions): RunnerContext {
  return {
    workload,
    prefix,
    redisUrl: options.redisUrl,
    databaseUrl: options.databaseUrl,
    ...(options.fairScheduling === undefined ? {} : { fairScheduling: options.fairScheduling }),
  };
}

/**
 * Warms an implementation's process: `executions` executions of W2's shape (fan-out and
 * join), in W2's waves, on a prefix (and schema) of their own, unmeasured —
 * so that the repetitions measure code V8 has compiled, not its optimizing compiler at
 * work (which goes on for tens of thousands of node runs in a fresh process). Returns the
 * correctness problems seen (they count as the run's).
 */
export async function warmProcess(
  impl: ImplName,
  executions: number,
  options: RunOneOptions,
): Promise<string[]> {
  const workload = workloads(false).find((w) => w.id === 'W2')!;
  const runner = await createRunner(
    impl,
    runnerContext(workload, `bench-${options.runId}-warm-${impl}`, options),
  );
  try {
    const { failures } = await waves(
      runner,
      executions,
      waveSize(workload),
      options.stallMs ?? STALL_MS,
    );
    return [...failures.map((f) => `process warm-up: ${f}`), ...runner.tally.problems];
  } finally {
    await runner.close();
  }
}

/** One repetition of one workload on one implementation, on a fresh prefix (and schema). */
export async function runOne(
  workload: Workload,
  impl: ImplName,
  rep: number,
  options: RunOneOptions,
): Promise<RepResult> {
  const stallMs = options.stallMs ?? STALL_MS;
  const prefix = `bench-${options.runId}-${workload.id.toLowerCase()}-${impl}-${rep}`;
  const runner = await createRunner(impl, runnerContext(workload, prefix, options));
  const nodes = workload.shape.nodes.length;
  const probe = new CostProbe(runner.redis, runner.sql);
  const result: RepResult = {
    workload,
    impl,
    rep,
    executions: workload.executions,
    completed: 0,
    nodeRuns: 0,
    wallMs: Number.NaN,
    nodesPerSec: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    rssBefore: Number.NaN,
    rssPeak: Number.NaN,
    rssAfter: Number.NaN,
    heapBefore: Number.NaN,
    heapAfter: Number.NaN,
    redisBefore: Number.NaN,
    redisAfter: Number.NaN,
    prefixKeys: 0,
    prefixBytes: 0,
    prefixBiggest: [],
    problems: [],
  };
  try {
    // Warm-up: connections, JIT, plan caches. Not measured, but must be right too.
    const warm = await wave(runner, workload.warmup, stallMs);
    result.problems.push(...warm.failures.map((f) => `warm-up: ${f}`));
    runner.tally.runs = 0;

    const before = await settledMemory();
    result.rssBefore = before.rss;
    result.heapBefore = before.heapUsed;
    result.redisBefore = await redisUsedMemory(runner.redis);
    await probe.before();

    let ids: string[] = [];
    let latencies: number[] = [];
    const rss = sampleRss();
    const t0 = now();
    try {
      const run = await waves(runner, workload.executions, waveSize(workload), stallMs);
      ({ ids, latencies } = run);
      result.problems.push(...run.failures);
    } finally {
      result.wallMs = now() - t0;
      result.rssPeak = rss.stop();
    }
    result.cost = await probe.after(workload.executions * nodes);
    result.redisAfter = await redisUsedMemory(runner.redis);
    result.completed = ids.length;
    result.nodeRuns = runner.tally.runs;
    result.nodesPerSec = (workload.executions * nodes) / (result.wallMs / 1000);
    result.p50Ms = percentile(latencies, 50);
    result.p99Ms = percentile(latencies, 99);

    const footprint = await prefixFootprint(runner.redis, prefix);
    result.prefixKeys = footprint.keys;
    result.prefixBytes = footprint.bytes;
    result.prefixBiggest = footprint.biggest;

    if (ids.length !== workload.executions) {
      result.problems.push(`${ids.length} of ${workload.executions} executions completed`);
    }
    if (runner.tally.runs !== workload.executions * nodes) {
      result.problems.push(
        `${runner.tally.runs} node runs, expected ${workload.executions * nodes} (${workload.executions} × ${nodes})`,
      );
    }
    result.problems.push(...runner.tally.problems, ...(await runner.verify(ids)));

    if (workload.soak) await runner.dropFinished();
    const after = await settledMemory();
    result.rssAfter = after.rss;
    result.heapAfter = after.heapUsed;
  } catch (err) {
    if (!(err instanceof StalledError)) throw err;
    result.problems.push(err.message, ...(await runner.describe(runner.pending())));
  } finally {
    await probe.close();
    await runner.close();
  }
  return result;
}

/**
 * Every workload × repetition × implementation, each in its implementation's process. Within
 * a repetition the implementations run one after another, starting with a different one
 * each repetition.
 */
async function runRepetitions(
  options: BenchOptions,
  impls: readonly ImplName[],
  processes: ReadonlyMap<ImplName, ChildProcessLink<ImplCommand, ImplReply>>,
  runOptions: RunOneOptions,
  log: (line: string) => void,
): Promise<RepResult[]> {
  const results: RepResult[] = [];
  for (const workload of options.workloads) {
    for (let rep = 0; rep < options.reps; rep++) {
      for (let i = 0; i < impls.length; i++) {
        const impl = impls[(i + rep) % impls.length]!;
        const command: ImplCommand = { cmd: 'run', workload, rep, options: runOptions };
        const { result } = await processes.get(impl)!.ask('result', command, RUN_TIMEOUT_MS);
        // The figures, with this process's workload (the same, not a copy).
        const r: RepResult = { ...result, workload };
        log(
          `${workload.id} ${impl.padEnd(8)} rep ${rep + 1}/${options.reps}: ` +
            `${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(r.nodesPerSec)} nodes/s, ` +
            `p50 ${r.p50Ms.toFixed(1)} ms${r.problems.length > 0 ? `, ${r.problems.length} PROBLEMS` : ''}`,
        );
        results.push(r);
      }
    }
  }
  return results;
}

/**
 * Every workload × repetition × implementation, each on a fresh prefix, each implementation
 * in a process of its own (impl-process.ts) for the whole run. Within a
 * repetition the implementations run one after another, starting with a different one
 * each repetition, so slow drift (page cache, Redis memory) does not favour one of them.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runId = randomBytes(3).toString('hex');
  const skipped: BenchResult['skipped'] = [];
  const impls: ImplName[] = [];
  let postgresVersion: string | undefined;
  for (const impl of options.impls) {
    if (impl !== 'postgres') {
      impls.push(impl);
      continue;
    }
    const probe = await probePostgres(options.databaseUrl);
    if (probe.ok) {
      impls.push(impl);
      postgresVersion = probe.version;
    } else {
      skipped.push({ impl, reason: probe.reason });
      log(`NOTE: skipping SPANE + store-postgres: ${probe.reason}`);
    }
  }
  const results: RepResult[] = [];
  const warmProblems: string[] = [];
  const { redisUrl, databaseUrl, stallMs, fairScheduling } = options;
  const runOptions: RunOneOptions = { redisUrl, databaseUrl, runId };
  if (stallMs !== undefined) runOptions.stallMs = stallMs;
  if (fairScheduling !== undefined) runOptions.fairScheduling = fairScheduling;
  // Each implementation in a process of its own, for the whole run.
  const processes = new Map(
    impls.map((impl) => [
      impl,
      new ChildProcessLink<ImplCommand, ImplReply>(IMPL_ENTRY, { BENCH_IMPL: impl }),
    ]),
  );
  try {
    if ((options.warm ?? 0) > 0) {
      // One after another, as the repetitions run: each process warms on a quiet machine.
      for (const impl of impls) {
        const command: ImplCommand = {
          cmd: 'warm',
          executions: options.warm!,
          options: runOptions,
        };
        const t0 = now();
        const { problems } = await processes.get(impl)!.ask('warmed', command, RUN_TIMEOUT_MS);
        warmProblems.push(...problems.map((p) => `${impl}: ${p}`));
        log(
          `${impl} process warmed: ${options.warm} executions of W2 in ${((now() - t0) / 1000).toFixed(1)} s`,
        );
      }
    }
    results.push(...(await runRepetitions(options, impls, processes, runOptions, log)));
  } finally {
    for (const link of processes.values()) {
      if (link.child.connected) link.child.send({ cmd: 'close' } satisfies ImplCommand);
    }
  }
  const result: BenchResult = { results, skipped, warmProblems };
  if (postgresVersion !== undefined) {
    result.postgresVersion = postgresVersion;
    result.pgStatStatements = await pgStatStatementsAvailable(options.databaseUrl);
  }
  return result;
}
