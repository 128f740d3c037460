import { describe, expect, it } from 'vitest';
import { runScaleOut, SCALE_CONFIGS } from '../src/scale.js';
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
describe('scale-out rows (--quick W2 on store-postgres, 1 repetition)', () => {
  it('runs W2 in one process, with the API apart from one worker process and from two', async () => {
    const pg = await probePostgres(DATABASE_URL);
    expect(pg.ok, 'PostgreSQL is needed (scripts/test.sh starts it)').toBe(true);
    const w2 = workloads(true).find((w) => w.id === 'W2')!;
    const results = await runScaleOut({
      workload: w2,
      warmup: w2.warmup,
      redisUrl: REDIS_URL,
      databaseUrl: DATABASE_URL,
      reps: 1,
      runId: `test-${process.pid}`,
      quick: true,
      log: () => {},
    });
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
    expect(cells[8]).toBe(`${cells[7]}–${cells[7]}`);
  });

  it('runs only the configurations asked for (`--scale two`)', async () => {
    const w2 = workloads(true).find((w) => w.id === 'W2')!;
    const results = await runScaleOut({
      workload: w2,
      warmup: w2.warmup,
      redisUrl: REDIS_URL,
      databaseUrl: DATABASE_URL,
      reps: 2,
      runId: `test-only-${process.pid}`,
      quick: true,
      configs: ['two'],
      log: () => {},
    });
    expect(results.map((r) => [r.config.key, r.rep])).toEqual([
      ['two', 1],
      ['two', 2],
    ]);
    for (const r of results) expect(r.problems).toEqual([]);
  });
});
