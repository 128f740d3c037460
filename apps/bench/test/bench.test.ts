import { describe, expect, it } from 'vitest';
import { runBench } from '../src/run.js';
import type { ImplName } from '../src/runner.js';
import { probePostgres } from '../src/stores.js';
import { workloads } from '../src/workloads.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Keeps the harness working: every `--quick` workload, one repetition, on the baseline and
 * SPANE + store-memory (and store-postgres when it is available). Correctness only —
 * never timings.
 */
describe('bench harness (--quick, 1 repetition)', () => {
  it('runs every workload correctly on every available implementation', async () => {
    const impls: ImplName[] = ['baseline', 'memory'];
    if ((await probePostgres(DATABASE_URL)).ok) impls.push('postgres');
    const quick = workloads(true);
    const bench = await runBench({
      workloads: quick,
      impls,
      reps: 1,
      redisUrl: REDIS_URL,
      databaseUrl: DATABASE_URL,
      stallMs: 15_000,
      log: () => {},
    });

    expect(bench.results).toHaveLength(quick.length * impls.length);
    for (const r of bench.results) {
      const label = `${r.workload.id} ${r.impl}`;
      expect(r.problems, label).toEqual([]);
      expect(r.completed, label).toBe(r.workload.executions);
      expect(r.nodeRuns, label).toBe(r.workload.executions * r.workload.shape.nodes.length);
    }
  });
});
