import { describe, expect, it } from 'vitest';
import { runBench } from '../src/run.js';
import type { ImplName } from '../src/runner.js';
import { probePostgres } from '../src/stores.js';
import { workloads } from '../src/workloads.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Keeps the harness working: every `--quick` workload, one repetition, on the baseline and
 * SPANE + store-memory (and store-postgres when it is available), each process warmed
 * first. Correctness only —
 * never timings — plus W2's cost per node being measured (present and positive).
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
      // Each process runs 20 executions of W2's shape first (`--warm`), right too.
      warm: 20,
      log: () => {},
    });

    expect(bench.warmProblems).toEqual([]);
    expect(bench.results).toHaveLength(quick.length * impls.length);
    for (const r of bench.results) {
      const label = `${r.workload.id} ${r.impl}`;
      expect(r.problems, label).toEqual([]);
      expect(r.completed, label).toBe(r.workload.executions);
      expect(r.nodeRuns, label).toBe(r.workload.executions * r.workload.shape.nodes.length);
    }

    // What a node costs: present and positive for W2 on every implementation.
    const w2 = bench.results.filter((r) => r.workload.id === 'W2');
    expect(w2.map((r) => r.impl).sort()).toEqual([...impls].sort());
    for (const r of w2) {
      const cost = r.cost;
      expect(cost, r.impl).toBeDefined();
      if (!cost) continue;
      expect(cost.engineCpuUs, r.impl).toBeGreaterThan(0);
      expect(cost.redisCpuUs, r.impl).toBeGreaterThan(0);
      expect(cost.redisCommands, r.impl).toBeGreaterThan(0);
      expect(cost.redisByCommand.length, r.impl).toBeGreaterThan(0);
      if (r.impl === 'postgres') {
        expect(cost.pgPoolCpuUs).toBeGreaterThan(0);
        expect(cost.pgServerCpuUs).toBeGreaterThanOrEqual(cost.pgPoolCpuUs);
        expect(cost.sqlXacts).toBeGreaterThan(0);
        expect(cost.sqlRoundTrips).toBeGreaterThan(0);
        expect(cost.sqlStatements).toBeGreaterThanOrEqual(cost.sqlRoundTrips);
      } else {
        expect(cost.pgPoolCpuUs, r.impl).toBeNaN();
        expect(cost.sqlRoundTrips, r.impl).toBeNaN();
      }
    }
  });
});
