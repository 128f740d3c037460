import { writeFile } from 'node:fs/promises';
import { type CostRow, medianCost } from './cost-report.js';
import type { Environment } from './environment.js';
import { median } from './measure.js';
import type { BenchResult, RepResult } from './run.js';
import { IMPL_LABEL, IMPL_NAMES, type ImplName } from './runner.js';
import type { Workload } from './workloads.js';

/** The median figures of one workload on one implementation, over its repetitions. */
export interface Row {
  workload: Workload;
  impl: ImplName;
  reps: number;
  wallMs: number;
  nodesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rssPeak: number;
  redisBefore: number;
  redisAfter: number;
  /** Median relative change of RSS / heap / Redis used_memory, after vs before. */
  rssChange: number;
  heapChange: number;
  redisChange: number;
  rssBefore: number;
  rssAfter: number;
  prefixKeys: number;
  prefixBytes: number;
  prefixBiggest: { key: string; bytes: number }[];
  executions: number;
  /** Fewest executions completed in any repetition. */
  completed: number;
  /** Implementation ÷ baseline: nodes/s for throughput workloads, p50 for W1. */
  ratio: number | undefined;
  /** Medians of the cost per node (undefined when no repetition measured it). */
  cost: CostRow | undefined;
  problems: number;
}

const MB = 1024 * 1024;

function med(results: readonly RepResult[], pick: (r: RepResult) => number): number {
  return median(results.map(pick));
}

/** Medians per (workload, implementation), in run order, with the ratio to the baseline. */
export function summarize(results: readonly RepResult[]): Row[] {
  const groups = new Map<string, RepResult[]>();
  for (const r of results) {
    const key = `${r.workload.id}/${r.impl}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: Row[] = [...groups.values()].map((g) => {
    const first = g[0]!;
    return {
      workload: first.workload,
      impl: first.impl,
      reps: g.length,
      wallMs: med(g, (r) => r.wallMs),
      nodesPerSec: med(g, (r) => r.nodesPerSec),
      p50Ms: med(g, (r) => r.p50Ms),
      p99Ms: med(g, (r) => r.p99Ms),
      rssPeak: med(g, (r) => r.rssPeak),
      redisBefore: med(g, (r) => r.redisBefore),
      redisAfter: med(g, (r) => r.redisAfter),
      rssChange: med(g, (r) => r.rssAfter / r.rssBefore - 1),
      heapChange: med(g, (r) => r.heapAfter / r.heapBefore - 1),
      redisChange: med(g, (r) => r.redisAfter / r.redisBefore - 1),
      rssBefore: med(g, (r) => r.rssBefore),
      rssAfter: med(g, (r) => r.rssAfter),
      prefixKeys: med(g, (r) => r.prefixKeys),
      prefixBytes: med(g, (r) => r.prefixBytes),
      prefixBiggest: g[g.length - 1]!.prefixBiggest,
      executions: first.executions,
      completed: Math.min(...g.map((r) => r.completed)),
      ratio: undefined,
      cost: medianCost(
        first.workload,
        first.impl,
        g.map((r) => r.cost),
      ),
      problems: g.reduce((s, r) => s + r.problems.length, 0),
    };
  });
  rows.sort(
    (a, b) =>
      a.workload.id.localeCompare(b.workload.id) ||
      IMPL_NAMES.indexOf(a.impl) - IMPL_NAMES.indexOf(b.impl),
  );
  for (const row of rows) {
    const base = rows.find((r) => r.workload.id === row.workload.id && r.impl === 'baseline');
    if (!base) continue;
    row.ratio =
      row.workload.ratio === 'p50' ? row.p50Ms / base.p50Ms : row.nodesPerSec / base.nodesPerSec;
  }
  return rows;
}

function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : '–';
}

/** The results table, as Markdown (readable as plain text too). */
export function formatTable(rows: readonly Row[]): string {
  const header = [
    'workload',
    'implementation',
    'wall s',
    'nodes/s',
    'p50 ms',
    'p99 ms',
    'ms/node (p50÷nodes)',
    'peak RSS MB',
    'Redis used_memory MB before → after',
    'vs baseline',
  ];
  const body = rows.map((r) => {
    const ratio =
      r.ratio === undefined
        ? '–'
        : r.impl === 'baseline'
          ? '1.00'
          : r.workload.ratio === 'p50'
            ? `p50 ×${r.ratio.toFixed(2)}`
            : `nodes/s ×${r.ratio.toFixed(2)}`;
    return [
      r.workload.id,
      `${IMPL_LABEL[r.impl]}${r.problems > 0 ? ' ⚠' : ''}`,
      fixed(r.wallMs / 1000, 2),
      fixed(r.nodesPerSec, 0),
      fixed(r.p50Ms, 1),
      fixed(r.p99Ms, 1),
      r.workload.ratio === 'p50' ? fixed(r.p50Ms / r.workload.shape.nodes.length, 2) : '',
      fixed(r.rssPeak / MB, 0),
      `${fixed(r.redisBefore / MB, 1)} → ${fixed(r.redisAfter / MB, 1)}`,
      ratio,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** Lines under the table: W1 per-node overhead, the soak check, skipped implementations. */
export function formatNotes(rows: readonly Row[], bench: BenchResult): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    if (row.workload.ratio !== 'p50' || row.impl === 'baseline') continue;
    const base = rows.find((r) => r.workload.id === row.workload.id && r.impl === 'baseline');
    if (!base) continue;
    const perNode = (row.p50Ms - base.p50Ms) / row.workload.shape.nodes.length;
    notes.push(
      `${row.workload.id} ${IMPL_LABEL[row.impl]}: overhead vs baseline ${fixed(perNode, 2)} ms per node ` +
        `((p50 ${fixed(row.p50Ms, 1)} − ${fixed(base.p50Ms, 1)} ms) ÷ ${row.workload.shape.nodes.length} nodes)`,
    );
  }
  for (const row of rows) {
    if (!row.workload.soak) continue;
    const ok = (v: number) => (Math.abs(v) <= 0.1 ? 'within 10%' : 'NOT within 10%');
    const biggest = row.prefixBiggest
      .map((k) => `${k.key} ${fixed(k.bytes / 1024, 0)} KiB`)
      .join(', ');
    notes.push(
      `${row.workload.id} soak ${IMPL_LABEL[row.impl]}: RSS ${fixed(row.rssBefore / MB, 0)} → ` +
        `${fixed(row.rssAfter / MB, 0)} MB (${pct(row.rssChange)}, ${ok(row.rssChange)}); ` +
        `heap ${pct(row.heapChange)}; Redis used_memory ${pct(row.redisChange)} (${ok(row.redisChange)}); ` +
        `keys left under the prefix: ${row.prefixKeys} (${fixed(row.prefixBytes / 1024, 0)} KiB${biggest ? `; ${biggest}` : ''}); ` +
        `executions completed ${row.completed}/${row.executions} (lost ${row.executions - row.completed})`,
    );
  }
  for (const s of bench.skipped) notes.push(`${IMPL_LABEL[s.impl]} skipped: ${s.reason}`);
  return notes;
}

export const LEGEND = [
  'Each implementation runs in a process of its own (forked once for the whole run).',
  'Each figure is the median over the repetitions. nodes/s = executions × nodes ÷ wall time.',
  'p50/p99: per-execution latency, from the enqueue call to completion heard (SPANE: the',
  '`workflow:completed` event; baseline: an in-process promise resolved by the last node).',
  'ms/node (W1 only) = p50 ÷ 10 nodes of the chain. vs baseline: W1 = p50 ÷ baseline p50',
  '(lower is better); other workloads = nodes/s ÷ baseline nodes/s (higher is better).',
  'Redis used_memory is the whole (shared) server, measured just before the clock starts',
  'and right after the last execution completes, before the prefix is deleted.',
  'W4 soak: RSS/heap "after" is measured after a forced GC and, for SPANE, after purging',
  'finished executions from the store (the baseline deletes its keys as executions finish).',
];

/** Writes RESULTS.md: environment, command, table, notes, legend. */
export async function writeResults(
  path: string,
  env: Environment,
  command: string,
  table: string,
  notes: readonly string[],
  cost: readonly string[] = [],
): Promise<void> {
  const text = [
    '# SPANE bench results',
    '',
    `Measured ${env.date} with \`${command}\`.`,
    '',
    `- Node.js ${env.node}, bullmq ${env.bullmq}, Redis ${env.redis}, PostgreSQL ${env.postgres}`,
    `- ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB memory; 1-minute load average ${env.loadStart} at the start, ${env.loadEnd} at the end (the machine is shared)`,
    '',
    table,
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    ...LEGEND,
    '',
    ...(cost.length > 0 ? ['## Cost per node', '', ...cost, ''] : []),
  ].join('\n');
  await writeFile(path, text);
}
