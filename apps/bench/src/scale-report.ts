import { median } from './measure.js';
import { SCALE_MEASURED_RUNS, SCALE_WARMUP, type ScaleResult } from './scale.js';

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';

/**
 * The scale-out table: per configuration the medians over the repetitions of nodes/s (and
 * its ratio to the one-process row), and CPU per node of the engine processes (the worker
 * processes' share in parentheses), of Redis and of the PostgreSQL cluster, and of all three
 * (the median of each repetition's sum, and the lowest and highest sum); Redis commands, SQL
 * transactions, and the engine processes' write calls and preemptions per node.
 */
export function formatScaleTable(results: readonly ScaleResult[]): string[] {
  const names = [...new Set(results.map((r) => r.config.name))];
  const med = (name: string, pick: (r: ScaleResult) => number) =>
    median(results.filter((r) => r.config.name === name).map(pick));
  const base = names.length > 0 ? med(names[0]!, (r) => r.nodesPerSec) : Number.NaN;
  const lines = [
    '| configuration | nodes/s | vs one process | engine CPU µs (workers) | Redis CPU µs | PG CPU µs server | all CPU µs | all CPU µs range | Redis commands | SQL xacts | engine write calls | engine preemptions |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of names) {
    const nps = med(name, (r) => r.nodesPerSec);
    const engine = med(name, (r) => r.engineCpuUs);
    const workers = med(name, (r) => r.workerCpuUs);
    const redis = med(name, (r) => r.redisCpuUs);
    const pgCpu = med(name, (r) => r.pgServerCpuUs);
    const all = results
      .filter((r) => r.config.name === name)
      .map((r) => r.engineCpuUs + r.redisCpuUs + r.pgServerCpuUs);
    const fixed = (pick: (r: ScaleResult) => number, digits: number) => {
      const v = med(name, pick);
      return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
    };
    const perNode = [
      fixed((r) => r.redisCommands, 1),
      fixed((r) => r.sqlXacts, 3),
      fixed((r) => r.counters.writeCalls, 2),
      fixed((r) => r.counters.involuntarySwitches, 2),
    ];
    lines.push(
      `| ${name} | ${int(nps)} | ×${(nps / base).toFixed(2)} | ${int(engine)} (${int(workers)}) | ${int(redis)} | ${int(pgCpu)} | ${int(median(all))} | ${int(Math.min(...all))}–${int(Math.max(...all))} | ${perNode.join(' | ')} |`,
    );
  }
  return lines;
}

export const SCALE_LEGEND = [
  'Scale-out (W2 on store-postgres, the same 50 worker slots in each configuration): in one',
  'process; in two engine processes of 25 slots each, one of them the API process (it starts',
  'the executions and hears them end); with the API process apart (an engine without workers)',
  'and the 50 slots in one worker process, or 25 + 25 in two — engines on the same prefix and',
  `schema. Every run is in fresh processes (its API process too), after ${SCALE_WARMUP.toLocaleString('en-US')} warm-up`,
  "executions in waves of W2's, so that V8's optimizing compiler is done in every process",
  `before the clock; the clock then runs over W2 ${SCALE_MEASURED_RUNS} times in a row. CPU per node: engine = every`,
  "engine process's process.cpuUsage() (API + workers; the worker processes' share in",
  'parentheses), Redis = INFO cpu, PG = the whole cluster (/proc); medians over the',
  "repetitions; all CPU = the median of the three's sum in each repetition, with the lowest",
  'and the highest sum. Per node too: Redis commands (INFO commandstats), SQL transactions',
  '(pg_stat_database), and of every engine process together (Linux /proc/<pid>/io and',
  'status): write system calls (syscw), and preemptions (involuntary context switches:',
  'another process took its core). Fewer, larger batches per process keep the first two',
  "down; the last counts the cores' oversubscription.",
];
