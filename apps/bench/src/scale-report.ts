import { median } from './measure.js';
import type { ScaleResult } from './scale.js';

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';

/**
 * The scale-out table: per configuration the medians over the repetitions of nodes/s (and
 * its ratio to the one-process row), and CPU per node of the engine processes (the worker
 * processes' share in parentheses), of Redis and of the PostgreSQL cluster.
 */
export function formatScaleTable(results: readonly ScaleResult[]): string[] {
  const names = [...new Set(results.map((r) => r.config.name))];
  const med = (name: string, pick: (r: ScaleResult) => number) =>
    median(results.filter((r) => r.config.name === name).map(pick));
  const base = names.length > 0 ? med(names[0]!, (r) => r.nodesPerSec) : Number.NaN;
  const lines = [
    '| configuration | nodes/s | vs one process | engine CPU µs (workers) | Redis CPU µs | PG CPU µs server | all CPU µs |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of names) {
    const nps = med(name, (r) => r.nodesPerSec);
    const engine = med(name, (r) => r.engineCpuUs);
    const workers = med(name, (r) => r.workerCpuUs);
    const redis = med(name, (r) => r.redisCpuUs);
    const pgCpu = med(name, (r) => r.pgServerCpuUs);
    lines.push(
      `| ${name} | ${int(nps)} | ×${(nps / base).toFixed(2)} | ${int(engine)} (${int(workers)}) | ${int(redis)} | ${int(pgCpu)} | ${int(engine + redis + pgCpu)} |`,
    );
  }
  return lines;
}

export const SCALE_LEGEND = [
  'Scale-out (W2 on store-postgres, the same 50 worker slots in each configuration): the',
  'API process starts the executions and hears them end (an engine without workers); the worker',
  'processes are engines with 50 or 25 + 25 slots on the same prefix and schema. Every run is in',
  'fresh processes (its API process too), after 200 warm-up executions. CPU per node:',
  "engine = every engine process's process.cpuUsage() (API + workers; the workers' share in",
  'parentheses), Redis = INFO cpu, PG = the whole cluster (/proc); medians over the repetitions.',
];
