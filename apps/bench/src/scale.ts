import { fileURLToPath } from 'node:url';
import { ChildProcessLink } from './child-link.js';
import type { ProcCounters } from './proc-counters.js';
import type { ScaleReply, SetUpCommand } from './scale-worker.js';
import { type Workload, workloads } from './workloads.js';

/**
 * The scale-out rows: one workload on store-postgres with its worker slots in its API
 * process (the main rows' set-up); split over two engine processes (the API process runs
 * half of them); in one worker process with an API process apart (it starts the
 * executions and hears them end, no workers); split over two worker processes with an API
 * process apart — the same slots in all these. Two rows change the slots, to tell what a
 * process costs from what fewer slots in a process cost: one process with half of them, and
 * two processes with all of them each. Each session's set-up gets fresh processes, prefix
 * and schema.
 */
export interface ScaleConfig {
  name: string;
  /** Short name, for prefixes. */
  key: string;
  /** The share of the slots the API process runs (0 to 1). */
  apiShare: number;
  /** Worker processes, sharing the rest of the slots evenly. */
  processes: number;
  /**
   * The configuration's worker slots as a multiple of the workload's (default 1: the same
   * slots as the other rows). The rows with other slots tell apart what a process costs
   * from what fewer slots in a process cost.
   */
  slots?: number;
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
  // What splitting the slots costs comes from the slots each process has, not from the
  // processes: one process with half the slots, and two processes with the whole slots each.
  { name: 'one process with half the slots', key: 'half', apiShare: 1, processes: 0, slots: 0.5 },
  {
    name: 'two processes with the whole slots each (twice the slots)',
    key: 'twice',
    apiShare: 0.5,
    processes: 1,
    slots: 2,
  },
  // The one-process set-up a second time: how far a configuration's ratio to the first row
  // strays when nothing differs (the machine's noise between two runs of a repetition).
  {
    name: 'control: one process again',
    key: 'again',
    apiShare: 1,
    processes: 0,
  },
];

/**
 * A configuration's worker slots for a workload of `concurrency` slots: the API process's
 * share, and each worker process's (the rest split evenly, rounded up).
 */
export function scaleSlots(
  config: Pick<ScaleConfig, 'apiShare' | 'processes' | 'slots'>,
  concurrency: number,
): { api: number; perWorker: number } {
  const total = Math.round(concurrency * (config.slots ?? 1));
  const api = Math.round(total * config.apiShare);
  return {
    api,
    perWorker: config.processes === 0 ? 0 : Math.ceil((total - api) / config.processes),
  };
}

export interface ScaleResult {
  config: ScaleConfig;
  /** The session (see {@link runScaleOut}) it was measured in, from 1. */
  session: number;
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
  /**
   * SQL round trips per node: the queries every engine process's store pool sent (counted
   * in the client, as the main rows' are). `pg_stat_database`'s transactions were this
   * column until 2026-12-07: database-wide, every second run of a set-up in a row took in
   * the other set-up's check of its executions (a read each, right after its reading),
   * which its backends reported up to 10 s later (bench README, Scale-out).
   */
  sqlRoundTrips: number;
  /** SQL statements per node, of the same queries (a multi-statement text counts each). */
  sqlStatements: number;
  /**
   * The database's transactions per node (`pg_stat_database`, every backend's, as they
   * reported them): in the progress lines only, beside the counts above (see sqlRoundTrips).
   */
  dbXacts: number;
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
  /** Sessions of each configuration (default {@link SCALE_SESSIONS}). */
  sessions?: number;
  log?: (line: string) => void;
}

/**
 * Warm-up executions of each set-up of a scale-out session (its processes are fresh: see
 * runScaleOut), run in waves before the clock: enough for V8's optimizing compiler to be
 * done in every process. It goes on for tens of thousands of node runs in a fresh engine
 * process, on a helper thread whose CPU counts in the process's; with 200 (the figure until
 * 2026-12-06) it was still at work during the clock, and a configuration's worker
 * processes, each warmed by a share of the executions, paid it once each — more CPU a
 * node the more processes, which was the compiler's, not the engine's. 3,000 and 8,000
 * gave the same CPU a node (README, Scale-out); 10,000 until sessions came in threes.
 */
export const SCALE_WARMUP = 5_000;

/**
 * Times the workload each scale-out repetition measures (W2: 1,000 executions, 10,000
 * node runs, ~2.5 s). Five in a row (~10 s) from the morning to the evening of 2026-12-06,
 * when each configuration ran in its own processes minutes apart from the others: a longer
 * clock averaged over more of the machine's drift. Now the two runs a ratio pairs are seconds
 * apart (see runScaleOut), and more, shorter pairs narrow the median's interval more.
 */
export const SCALE_MEASURED_RUNS = 1;

/**
 * Times the workload runs in a set-up just before each repetition's clock, unmeasured. A
 * set-up idles while the other one of its session is measured, and without this its next
 * run came out up to ×1.4 dearer in engine CPU than its partner's, which had just run (one
 * process against itself, 6 pairs, 2026-12-06): V8 shrinks an idle heap, and the pool
 * closes connections idle for 10 s, whose next backends start with cold caches.
 */
export const SCALE_REWARM = 1;

/**
 * Repetitions of a scale-out session (pairs of runs) by default. Two runs of the same
 * set-up seconds apart still differ by up to ±30 % in nodes/s and CPU a node on this
 * machine, with the same Redis commands, SQL transactions and system calls a node: the
 * cores' speed varies by the second (a fixed loop's CPU time did ×0.6–1.8 around its
 * median on an idle machine).
 */
export const SCALE_REPS = 4;

/**
 * Sessions of each configuration by default, each in fresh processes. Two fresh processes
 * of one set-up can differ for a whole session: in one of 2026-12-06 the control (one
 * process against itself) came out ×1.14 in engine CPU a node over 12 pairs, every pair
 * above ×1.02, when two runs before it had given ×0.96 and ×0.97. So the pairs come from
 * several sessions (3 × 4 = 12 pairs a configuration, whose median's 95 % interval runs
 * from the 3rd to the 10th ratio: see medianInterval).
 */
export const SCALE_SESSIONS = 3;

const RUN_ENTRY = fileURLToPath(new URL('./scale-run.ts', import.meta.url));

/** What scale-run.ts is told to run (`SCALE_RUN`, JSON): a configuration's set-up. */
export interface ScaleRunRequest {
  config: number;
  session: number;
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
 * The sessions of a scale-out run: each configuration chosen beside the first one (one
 * process), which is measured in every session; each configuration alone when the first is
 * not chosen; the first alone when it is the only one.
 */
export function scaleSessions(keys?: readonly string[]): ScaleConfig[][] {
  const chosen = SCALE_CONFIGS.filter((c) => !keys || keys.includes(c.key));
  const first = SCALE_CONFIGS[0]!;
  if (!chosen.includes(first)) return chosen.map((c) => [c]);
  const others = chosen.filter((c) => c !== first);
  return others.length === 0 ? [[first]] : others.map((c) => [first, c]);
}

type SetUpLink = ChildProcessLink<SetUpCommand, ScaleReply>;

/**
 * One session: each configuration's set-up started (an API process of its own, a child of
 * this one, and its worker processes), warmed one after the other, then measured in turns —
 * A B, B A, A B… — once a repetition, so that the two runs a ratio pairs are seconds apart
 * (the machine's speed drifts over minutes); closed at the end, their problems in their
 * last result.
 */
async function runSession(
  configs: readonly ScaleConfig[],
  session: number,
  o: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleResult[]> {
  const { workload, log: _, ...options } = o;
  const links: SetUpLink[] = [];
  const results: ScaleResult[] = [];
  // Each set-up's warm-up and close problems (by the index of its configuration).
  const late: string[][] = configs.map(() => []);
  try {
    for (const config of configs) {
      const request: ScaleRunRequest = {
        config: SCALE_CONFIGS.indexOf(config),
        session,
        workload: workload.id,
        options,
      };
      const link: SetUpLink = new ChildProcessLink(RUN_ENTRY, {
        SCALE_RUN: JSON.stringify(request),
      });
      links.push(link);
      await link.ask('ready', undefined, 120_000);
    }
    for (const [i, link] of links.entries()) {
      late[i]!.push(...(await link.ask('warmed', { cmd: 'warm' }, 1_800_000)).problems);
    }
    for (let rep = 1; rep <= o.reps; rep++) {
      const turn = rep % 2 === 1 ? links : [...links].reverse();
      for (const link of turn) {
        const { result: r } = await link.ask('result', { cmd: 'measure', rep }, 600_000);
        log(
          `${workload.id} scale session ${session} ${r.config.name} rep ${rep}/${o.reps}: ${r.nodesPerSec.toFixed(0)} nodes/s, engine CPU ${r.engineCpuUs.toFixed(0)} µs/node, Redis ${r.redisCommands.toFixed(1)} commands/node (${r.redisByCommand.map((c) => `${c.command} ${c.perNode.toFixed(2)}`).join(', ')}), SQL ${r.sqlRoundTrips.toFixed(3)} round trips / ${r.sqlStatements.toFixed(3)} statements a node (database-wide ${r.dbXacts.toFixed(3)} transactions); engine processes a node: ${r.counters.readCalls.toFixed(1)} read / ${r.counters.writeCalls.toFixed(1)} write calls, ${r.counters.voluntarySwitches.toFixed(2)} waits, ${r.counters.involuntarySwitches.toFixed(2)} preemptions`,
        );
        results.push(r);
      }
    }
  } finally {
    for (const [i, link] of links.entries()) {
      const closed = await link.ask('closed', { cmd: 'close' }).catch((e: Error) => ({
        problems: [e.message],
      }));
      late[i]!.push(...closed.problems);
      // It exits once closed; one that failed or hangs is stopped.
      if (link.child.exitCode === null) link.child.kill();
    }
  }
  for (const [i, config] of configs.entries()) {
    results.findLast((r) => r.config.key === config.key)?.problems.push(...late[i]!);
  }
  return results;
}

/**
 * Every session (see {@link scaleSessions}) `o.sessions` times, in rounds (each round
 * runs each configuration's session once), each in fresh processes — so that no
 * configuration runs on code that earlier sessions made hot, each is measured beside the
 * one-process set-up rather than minutes from it, and its pairs come from several pairs of
 * fresh processes.
 */
export async function runScaleOut(o: ScaleOptions): Promise<ScaleResult[]> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const results: ScaleResult[] = [];
  const sessions = scaleSessions(o.configs);
  let session = 0;
  for (let round = 0; round < (o.sessions ?? SCALE_SESSIONS); round++) {
    for (const configs of sessions) {
      session += 1;
      results.push(...(await runSession(configs, session, o, log)));
    }
  }
  return results;
}
