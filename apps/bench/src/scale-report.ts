import { median, medianInterval } from './measure.js';
import {
  SCALE_CONFIGS,
  SCALE_MEASURED_RUNS,
  SCALE_REWARM,
  SCALE_WARMUP,
  type ScaleResult,
} from './scale.js';

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';

const allCpu = (r: ScaleResult): number => r.engineCpuUs + r.redisCpuUs + r.pgServerCpuUs;

/**
 * Each repetition's `pick(r) ÷ pick(first configuration's run of the same session and
 * repetition)`: each configuration against the first one measured seconds beside it, so
 * that the machine's drift (in one run of 2026-12-06, ×1.5 between repetitions minutes
 * apart) does not count as a difference between configurations.
 */
function pairedRatios(
  results: readonly ScaleResult[],
  name: string,
  first: string,
  pick: (r: ScaleResult) => number,
): number[] {
  return results.flatMap((r) => {
    if (r.config.name !== name) return [];
    const base = results.find(
      (b) => b.config.name === first && b.session === r.session && b.rep === r.rep,
    );
    return base ? [pick(r) / pick(base)] : [];
  });
}

/** `×median (low–high)`: the paired ratios' median and its 95 % interval, when there are enough. */
function ratioCell(ratios: readonly number[]): string {
  const interval = medianInterval(ratios);
  const range = interval ? ` (${interval[0].toFixed(2)}–${interval[1].toFixed(2)})` : '';
  return `×${median(ratios).toFixed(2)}${range}`;
}

/**
 * The scale-out table: per configuration the medians over the repetitions of nodes/s and
 * of CPU per node — of the engine processes (the worker processes' share in parentheses), of
 * Redis, of the PostgreSQL cluster, and of all three (the median of each repetition's sum,
 * with the lowest and highest sum) — and, against the first configuration (one process),
 * the median of each repetition's ratio of nodes/s and of all CPU with its 95 % interval
 * (see {@link pairedRatios}, {@link medianInterval}); Redis commands, SQL round trips and
 * statements, and the engine processes' write calls and preemptions per node.
 */
export function formatScaleTable(results: readonly ScaleResult[]): string[] {
  const names = [...new Set(results.map((r) => r.config.name))];
  // Ratios are to the first configuration run: the one-process row unless left out.
  const firstConfig = results[0]?.config;
  const first = firstConfig?.name ?? '';
  const med = (name: string, pick: (r: ScaleResult) => number) =>
    median(results.filter((r) => r.config.name === name).map(pick));
  const ratio = (name: string, pick: (r: ScaleResult) => number) =>
    ratioCell(pairedRatios(results, name, first, pick));
  const against = firstConfig?.key === SCALE_CONFIGS[0]!.key ? 'one process' : 'first row';
  const lines = [
    `| configuration | nodes/s | vs ${against} | engine CPU µs (workers) | Redis CPU µs | PG CPU µs server | all CPU µs (lowest–highest) | all CPU vs ${against} | Redis commands | SQL round trips / statements | engine write calls | engine preemptions |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of names) {
    const all = results.filter((r) => r.config.name === name).map(allCpu);
    const fixed = (pick: (r: ScaleResult) => number, digits: number) => {
      const v = med(name, pick);
      return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
    };
    const cells = [
      name,
      int(med(name, (r) => r.nodesPerSec)),
      ratio(name, (r) => r.nodesPerSec),
      `${int(med(name, (r) => r.engineCpuUs))} (${int(med(name, (r) => r.workerCpuUs))})`,
      int(med(name, (r) => r.redisCpuUs)),
      int(med(name, (r) => r.pgServerCpuUs)),
      `${int(median(all))} (${int(Math.min(...all))}–${int(Math.max(...all))})`,
      ratio(name, allCpu),
      fixed((r) => r.redisCommands, 1),
      `${fixed((r) => r.sqlRoundTrips, 3)} / ${fixed((r) => r.sqlStatements, 3)}`,
      fixed((r) => r.counters.writeCalls, 2),
      fixed((r) => r.counters.involuntarySwitches, 2),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

const times = (n: number): string => (n === 1 ? 'once' : `${n} times`);

export const SCALE_LEGEND = [
  'Scale-out (W2 on store-postgres, the same 50 worker slots in the first four configurations):',
  'in one process; in two engine processes of 25 slots each, one of them the API process (it',
  'starts the executions and hears them end); with the API process apart (an engine without',
  'workers) and the 50 slots in one worker process, or 25 + 25 in two — engines on the same',
  'prefix and schema. Two rows change the slots, to tell what a second process costs from what',
  'fewer slots in a process cost: one process with 25 slots, and two processes with 50 each',
  '(100 in all). And, as a control, the one-process set-up a second time (its ratios show what',
  'no difference looks like on this machine). Each configuration runs in a session beside the',
  'one-process set-up: both set-ups start in fresh processes (an API process each, and its',
  `worker processes), each runs ${SCALE_WARMUP.toLocaleString('en-US')} warm-up executions in waves of W2's (V8's optimizing`,
  'compiler done before any clock), then the two are measured in turns (A B, B A, …), once a',
  `repetition: W2 ${times(SCALE_REWARM)} unmeasured, then ${times(SCALE_MEASURED_RUNS)} under the clock. CPU per node: engine = every`,
  "engine process's process.cpuUsage() (API + workers; the worker processes' share in",
  'parentheses), Redis = INFO cpu, PG = the whole cluster (/proc); medians over the runs;',
  "all CPU = the median of the three's sum in each run, with the lowest and the highest.",
  '"vs one process": the median of the ratios to the one-process run of the same session and',
  "repetition (nodes/s; all CPU), seconds apart, so the machine's drift over minutes does",
  "not move it; in parentheses the median's 95 % interval (distribution-free: order",
  'statistics of the ratios). Per node too: Redis commands (INFO commandstats), SQL round',
  "trips and statements (what every engine process's store pool sent, counted in the",
  'client), and of every engine process together (Linux /proc/<pid>/io and status): write',
  'system calls (syscw), and preemptions (involuntary context switches: another process',
  'took its core). Fewer, larger batches per process keep the first two down; the last',
  "counts the cores' oversubscription.",
];
