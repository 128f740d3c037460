import type { NodeCost } from './cost.js';
import { median } from './measure.js';
import { IMPL_LABEL, type ImplName } from './runner.js';
import type { Workload } from './workloads.js';

/** Medians over the repetitions of the per-node figures, and the most called Redis commands. */
export interface CostRow {
  workload: Workload;
  impl: ImplName;
  engineCpuUs: number;
  redisCpuUs: number;
  pgPoolCpuUs: number;
  pgServerCpuUs: number;
  redisCommands: number;
  sqlXacts: number;
  sqlRoundTrips: number;
  sqlStatements: number;
  /** The five commands with the most calls per node (median per command; 0 in a rep without it). */
  redisTop: { command: string; perNode: number }[];
}

const FIGURES = [
  'engineCpuUs',
  'redisCpuUs',
  'pgPoolCpuUs',
  'pgServerCpuUs',
  'redisCommands',
  'sqlXacts',
  'sqlRoundTrips',
  'sqlStatements',
] as const;

/** The median cost per node of one workload on one implementation; undefined without figures. */
export function medianCost(
  workload: Workload,
  impl: ImplName,
  costs: readonly (NodeCost | undefined)[],
): CostRow | undefined {
  const known = costs.filter((c): c is NodeCost => c !== undefined);
  if (known.length === 0) return undefined;
  const row = { workload, impl, redisTop: [] } as unknown as CostRow;
  for (const f of FIGURES) row[f] = median(known.map((c) => c[f]));
  const commands = new Set(known.flatMap((c) => c.redisByCommand.map((x) => x.command)));
  row.redisTop = [...commands]
    .map((command) => ({
      command,
      perNode: median(
        known.map((c) => c.redisByCommand.find((x) => x.command === command)?.perNode ?? 0),
      ),
    }))
    .sort((a, b) => b.perNode - a.perNode || a.command.localeCompare(b.command))
    .slice(0, 5);
  return row;
}

/** Engine + Redis + PostgreSQL (whole server when known, else the pool's backends) CPU, µs. */
export function totalCpuUs(row: CostRow): number {
  const pgCpu = Number.isFinite(row.pgServerCpuUs) ? row.pgServerCpuUs : row.pgPoolCpuUs;
  return row.engineCpuUs + row.redisCpuUs + (Number.isFinite(pgCpu) ? pgCpu : 0);
}

function num(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/** A figure with its ratio to the baseline's (when the baseline has it). */
function withRatio(v: number, base: number | undefined, digits = 0): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (base === undefined || !Number.isFinite(base) || base <= 0) return num(v, digits);
  return `${num(v, digits)} (×${(v / base).toFixed(2)})`;
}

/** The "cost per node" table, as Markdown (readable as plain text too). */
export function formatCostTable(rows: readonly CostRow[]): string {
  const header = [
    'workload',
    'implementation',
    'engine CPU µs',
    'Redis CPU µs',
    'PG CPU µs pool / server',
    'all CPU µs',
    'Redis commands',
    'SQL xacts',
    'SQL round trips / statements',
  ];
  const body = rows.map((r) => {
    const base = rows.find((b) => b.workload.id === r.workload.id && b.impl === 'baseline');
    const sqlKnown = Number.isFinite(r.sqlRoundTrips);
    return [
      r.workload.id,
      IMPL_LABEL[r.impl],
      withRatio(r.engineCpuUs, base?.engineCpuUs),
      withRatio(r.redisCpuUs, base?.redisCpuUs),
      r.impl === 'postgres' ? `${num(r.pgPoolCpuUs)} / ${num(r.pgServerCpuUs)}` : '–',
      withRatio(totalCpuUs(r), base && totalCpuUs(base)),
      withRatio(r.redisCommands, base?.redisCommands, 1),
      r.impl === 'postgres' ? num(r.sqlXacts, 2) : '–',
      sqlKnown ? `${num(r.sqlRoundTrips, 2)} / ${num(r.sqlStatements, 2)}` : '–',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** One line per row: the five Redis commands with the most calls per node. */
export function formatRedisTop(rows: readonly CostRow[]): string[] {
  return rows.map(
    (r) =>
      `${r.workload.id} ${IMPL_LABEL[r.impl]}: Redis calls per node ${r.redisTop
        .map((c) => `${c.command} ${c.perNode.toFixed(2)}`)
        .join(', ')}`,
  );
}

/** What the cost table's columns are, under it. */
export const COST_LEGEND = [
  'Cost per node: each figure ÷ (executions × nodes of the workload), median over the repetitions;',
  '(×n) is the ratio to the baseline. Counters are read just before the clock starts and right',
  'after the last execution. engine CPU: process.cpuUsage() (user + system) of the process',
  'that runs the engine (or the baseline) and its workers. Redis CPU: INFO cpu used_cpu_user +',
  "used_cpu_sys; Redis commands: INFO commandstats calls, less the probe's own INFO calls.",
  "PG CPU: /proc/<pid>/stat utime + stime of the store pool's backends / of the whole cluster",
  '(postmaster with its exited children, and its live children); 10 ms clock ticks; n/a when',
  '/proc does not show them. SQL xacts: pg_stat_database xact_commit + xact_rollback of the',
  "database, less the probe's own (read once every pool backend has reported: a second after the",
  "activity, through one SELECT 1 on each). SQL round trips / statements: counted on the pool's",
  'connections as they are sent (a multi-statement text is one round trip). Redis, PostgreSQL',
  'and the database are shared with other work on this machine: whole-server figures include it.',
];
