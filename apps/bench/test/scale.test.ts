import { describe, expect, it } from 'vitest';
import { medianInterval } from '../src/measure.js';
import { procCounters } from '../src/proc-counters.js';
import {
  runScaleOut,
  SCALE_CONFIGS,
  type ScaleResult,
  scaleSessions,
  scaleSlots,
} from '../src/scale.js';
import { formatScaleTable } from '../src/scale-report.js';
import { probePostgres } from '../src/stores.js';
import { workloads } from '../src/workloads.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A result with only what the table reads set from the arguments. */
function result(
  key: string,
  rep: number,
  nodesPerSec: number,
  engineCpuUs: number,
  session = 1,
): ScaleResult {
  const config = SCALE_CONFIGS.find((c) => c.key === key)!;
  return {
    config,
    session,
    rep,
    nodesPerSec,
    engineCpuUs,
    workerCpuUs: 0,
    redisCpuUs: 10,
    pgServerCpuUs: 90,
    redisCommands: 5,
    redisByCommand: [],
    sqlRoundTrips: 0.04,
    sqlStatements: 0.05,
    dbXacts: 0.04,
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

  it("pairs runs of the same session and repetition, with the median's 95 % interval", () => {
    // Session 1: one process against two processes; session 2: against the control. The
    // one-process run of session 2 is twice as fast: were it paired with session 1's, two
    // processes would come out at half.
    const results: ScaleResult[] = [];
    for (let rep = 1; rep <= 12; rep++) {
      results.push(result('one', rep, 1000, 100, 1), result('two', rep, 1000 + 10 * rep, 100, 1));
      results.push(result('one', rep, 2000, 100, 2), result('again', rep, 2000, 100, 2));
    }
    const cells = formatScaleTable(results).map((line) => line.split('|').map((c) => c.trim()));
    expect(cells.map((c) => c[1])).toEqual([
      'configuration',
      '---',
      'one process: API + workers',
      'two processes: API + half the slots, a worker process the other half',
      'control: one process again',
    ]);
    // Ratios 1.01 … 1.12: median 1.065, interval the 3rd and the 10th.
    expect(cells[3]![3]).toBe('×1.06 (1.03–1.10)');
    expect(cells[4]![3]).toBe('×1.00 (1.00–1.00)');
    expect(cells[4]![8]).toBe('×1.00 (1.00–1.00)');
  });

  it('gives the ratios against the first row when one process was not run', () => {
    const table = formatScaleTable([result('two', 1, 1000, 100), result('api1', 1, 900, 100)]);
    expect(table[0]).toContain('| vs first row |');
    expect(table[3]!.split('|')[3]!.trim()).toBe('×0.90');
  });
});

describe('the sessions of a scale-out run', () => {
  it('puts each configuration beside one process, or alone when one process is not asked for', () => {
    const keys = (sessions: ReturnType<typeof scaleSessions>) =>
      sessions.map((s) => s.map((c) => c.key));
    expect(keys(scaleSessions())).toEqual([
      ['one', 'two'],
      ['one', 'api1'],
      ['one', 'api2'],
      ['one', 'half'],
      ['one', 'twice'],
      ['one', 'again'],
    ]);
    expect(keys(scaleSessions(['api1', 'one']))).toEqual([['one', 'api1']]);
    expect(keys(scaleSessions(['one']))).toEqual([['one']]);
    expect(keys(scaleSessions(['two', 'api2']))).toEqual([['two'], ['api2']]);
  });
});

describe("a configuration's worker slots", () => {
  it('splits the slots between the API process and the worker processes, scaled by the row', () => {
    const slots = (key: string) => scaleSlots(SCALE_CONFIGS.find((c) => c.key === key)!, 50);
    expect(slots('one')).toEqual({ api: 50, perWorker: 0 });
    expect(slots('two')).toEqual({ api: 25, perWorker: 25 });
    expect(slots('api1')).toEqual({ api: 0, perWorker: 50 });
    expect(slots('api2')).toEqual({ api: 0, perWorker: 25 });
    expect(slots('half')).toEqual({ api: 25, perWorker: 0 });
    expect(slots('twice')).toEqual({ api: 50, perWorker: 50 });
    expect(scaleSlots({ apiShare: 0, processes: 2, slots: 1 }, 51)).toEqual({
      api: 0,
      perWorker: 26,
    });
  });
});

describe("the median's interval", () => {
  it('takes the order statistics whose binomial coverage is at least 95 %', () => {
    const ranks = (n: number) => Array.from({ length: n }, (_, i) => n - i); // unsorted
    expect(medianInterval(ranks(5))).toBeUndefined(); // [1st, 5th] covers 93.75 %
    expect(medianInterval(ranks(6))).toEqual([1, 6]); // 96.9 %
    expect(medianInterval(ranks(8))).toEqual([1, 8]); // [2nd, 7th] would cover 93.0 %
    expect(medianInterval(ranks(9))).toEqual([2, 8]); // 96.1 %
    expect(medianInterval(ranks(12))).toEqual([3, 10]); // 96.1 %
    expect(medianInterval(ranks(20))).toEqual([6, 15]); // 95.9 %
    expect(medianInterval([3, Number.NaN, 1, 2, 6, 5, 4])).toEqual([1, 6]);
  });
});

/** The scale-out rows of `--quick` W2 (its own warm-up), quietly. */
function quickScaleOut(options: {
  reps: number;
  runId: string;
  configs?: string[];
  sessions?: number;
}) {
  const w2 = workloads(true).find((w) => w.id === 'W2')!;
  return runScaleOut({
    workload: w2,
    warmup: w2.warmup,
    redisUrl: REDIS_URL,
    databaseUrl: DATABASE_URL,
    quick: true,
    log: () => {},
    sessions: 1,
    ...options,
  });
}

/**
 * The scale-out rows' harness (`--quick` W2, one repetition a session): every configuration runs every
 * execution correctly, the worker processes' CPU is read (none for the one-process row), and
 * the table has a row per configuration. Correctness only, never timings.
 */
describe('scale-out rows (--quick W2 on store-postgres)', () => {
  it('runs W2 in every configuration, each in a session beside one process', async () => {
    const pg = await probePostgres(DATABASE_URL);
    expect(pg.ok, 'PostgreSQL is needed (scripts/test.sh starts it)').toBe(true);
    const results = await quickScaleOut({ reps: 1, runId: `test-${process.pid}` });
    expect(results.map((r) => [r.session, r.config.key])).toEqual(
      SCALE_CONFIGS.slice(1).flatMap((c, i) => [
        [i + 1, 'one'],
        [i + 1, c.key],
      ]),
    );
    for (const r of results) {
      expect(r.problems, r.config.name).toEqual([]);
      expect(r.nodesPerSec, r.config.name).toBeGreaterThan(0);
      expect(r.engineCpuUs, r.config.name).toBeGreaterThan(0);
      if (r.config.processes === 0) expect(r.workerCpuUs).toBe(0);
      else expect(r.workerCpuUs, r.config.name).toBeGreaterThan(0);
      expect(r.redisCommands, r.config.name).toBeGreaterThan(0);
      expect(r.sqlRoundTrips, r.config.name).toBeGreaterThan(0);
      expect(r.sqlStatements, r.config.name).toBeGreaterThanOrEqual(r.sqlRoundTrips);
      expect(r.counters.writeCalls, r.config.name).toBeGreaterThan(0);
      expect(r.counters.involuntarySwitches, r.config.name).toBeGreaterThanOrEqual(0);
    }
    const table = formatScaleTable(results);
    expect(table).toHaveLength(2 + SCALE_CONFIGS.length);
    // Its ratios to itself: ×1.00, with an interval of 1.00–1.00 from six pairs (one a session).
    expect(table[2]).toMatch(
      /^\| one process: API \+ workers \| [\d,]+ \| ×1\.00 \(1\.00–1\.00\) \|/,
    );
    // all CPU: the median of the sums of its runs (one a session), then their lowest and highest.
    const cells = table[2]!.split('|').map((c) => c.trim());
    const [mid, low, high] = cells[7]!
      .match(/^([\d,]+) \(([\d,]+)–([\d,]+)\)$/)!
      .slice(1)
      .map((v) => Number(v.replaceAll(',', '')));
    expect(low).toBeLessThanOrEqual(mid!);
    expect(mid).toBeLessThanOrEqual(high!);
    expect(cells[8]).toBe('×1.00 (1.00–1.00)');
  });

  it('runs only the configurations asked for, in turns, session after session (`--scale one,two`)', async () => {
    const results = await quickScaleOut({
      reps: 2,
      sessions: 2,
      runId: `test-only-${process.pid}`,
      configs: ['two', 'one'],
    });
    expect(results.map((r) => [r.session, r.config.key, r.rep])).toEqual([
      [1, 'one', 1],
      [1, 'two', 1],
      [1, 'two', 2],
      [1, 'one', 2],
      [2, 'one', 1],
      [2, 'two', 1],
      [2, 'two', 2],
      [2, 'one', 2],
    ]);
    for (const r of results) expect(r.problems).toEqual([]);
  });
});
