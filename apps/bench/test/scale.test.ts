import { describe, expect, it } from 'vitest';
import { procCounters } from '../src/proc-counters.js';
import { runScaleOut, SCALE_CONFIGS, type ScaleResult } from '../src/scale.js';
import { formatScaleTable } from '../src/scale-report.js';
import { probePostgres } from '../src/stores.js';
import { workloads } from '../src/workloads.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The scale-out rows' harness (`--quick` W2, one repetition): every configuration runs every
 * execution correctly, the worker processes' CPU is read (none for the one-process row), and
 * the table has a row per configuration. Correctness only, never timings.
 */
/** A result with only what the table reads set from the arguments. */
function result(key: string, rep: number, nodesPerSec: number, engineCpuUs: number): ScaleResult {
  const config = SCALE_CONFIGS.find((c) => c.key === key)!;
  return {
    config,
    rep,
    nodesPerSec,
    engineCpuUs,
    workerCpuUs: 0,
    redisCpuUs: 10,
    pgServerCpuUs: 90,
    redisCommands: 5,
    redisByCommand: [],
    sqlXacts: 0.04,
    counters: procCounters(),
    problems: [],
  };
}

describe('the scale-out table', () => {
  it("gives each row's ratios as the median of its repetitions' ratios to one process", () => {
    // The machine twice as fast in repetition 2: every configuration's nodes/s doubles.
    const table = formatScaleTable([
      result('one', 1, 1000, 100),
      result('two', 1, 1100, 110),
      result('one', 2, 2000, 100),
      result('two', 2, 2300, 100),
      result('one', 3, 1500, 200),
      result('two', 3, 1800, 300),
    ]);
    const cells = table.map((line) => line.split('|').map((c) => c.trim()));
    expect(cells[2]!.slice(2, 4)).toEqual(['1,500', '×1.00']);
    // Medians of the raw figures would give 1,800 ÷ 1,500 = ×1.20; paired: 1.10, 1.15, 1.20.
    expect(cells[3]!.slice(2, 4)).toEqual(['1,800', '×1.15']);
    // All CPU a node (engine + 10 + 90): 210, 200, 400 against 200, 200, 300 — ×1.05, 1.00, 1.33.
    expect(cells[3]![7]).toBe('210 (200–400)');
    expect(cells[3]![8]).toBe('×1.05');
  });

  it('gives the ratios against the first row when one process was not run', () => {
    const table = formatScaleTable([result('two', 1, 1000, 100), result('api1', 1, 900, 100)]);
    expect(table[0]).toContain('| vs first row |');
    expect(table[3]!.split('|')[3]!.trim()).toBe('×0.90');
  });
});

/** The scale-out rows of `--quick` W2 (its own warm-up), quietly. */
function quickScaleOut(options: { reps: number; runId: string; configs?: string[] }) {
  const w2 = workloads(true).find((w) => w.id === 'W2')!;
  return runScaleOut({
    workload: w2,
    warmup: w2.warmup,
    redisUrl: REDIS_URL,
    databaseUrl: DATABASE_URL,
    quick: true,
    log: () => {},
    ...options,
  });
}

describe('scale-out rows (--quick W2 on store-postgres)', () => {
  it('runs W2 in every configuration, one repetition', async () => {
    const pg = await probePostgres(DATABASE_URL);
    expect(pg.ok, 'PostgreSQL is needed (scripts/test.sh starts it)').toBe(true);
    const results = await quickScaleOut({ reps: 1, runId: `test-${process.pid}` });
    expect(results.map((r) => r.config.processes).sort()).toEqual(
      SCALE_CONFIGS.map((c) => c.processes).sort(),
    );
    for (const r of results) {
      expect(r.problems, r.config.name).toEqual([]);
      expect(r.nodesPerSec, r.config.name).toBeGreaterThan(0);
      expect(r.engineCpuUs, r.config.name).toBeGreaterThan(0);
      if (r.config.processes === 0) expect(r.workerCpuUs).toBe(0);
      else expect(r.workerCpuUs, r.config.name).toBeGreaterThan(0);
      expect(r.redisCommands, r.config.name).toBeGreaterThan(0);
      expect(r.sqlXacts, r.config.name).toBeGreaterThan(0);
      expect(r.counters.writeCalls, r.config.name).toBeGreaterThan(0);
      expect(r.counters.involuntarySwitches, r.config.name).toBeGreaterThanOrEqual(0);
    }
    const table = formatScaleTable(results);
    expect(table).toHaveLength(2 + SCALE_CONFIGS.length);
    expect(table[2]).toMatch(/^\| one process: API \+ workers \| [\d,]+ \| ×1\.00 \|/);
    // all CPU: the median of the sums, then their lowest–highest (one repetition: equal).
    const cells = table[2]!.split('|').map((c) => c.trim());
    expect(cells[7]).toMatch(/^([\d,]+) \(\1–\1\)$/);
    expect(cells[8]).toBe('×1.00');
  });

  it('runs only the configurations asked for (`--scale two`)', async () => {
    const results = await quickScaleOut({
      reps: 2,
      runId: `test-only-${process.pid}`,
      configs: ['two'],
    });
    expect(results.map((r) => [r.config.key, r.rep])).toEqual([
      ['two', 1],
      ['two', 2],
    ]);
    for (const r of results) expect(r.problems).toEqual([]);
  });
});
