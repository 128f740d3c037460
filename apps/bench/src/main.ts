import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COST_LEGEND, formatCostTable, formatRedisTop } from './cost-report.js';
import { collectEnvironment } from './environment.js';
import { formatNotes, formatTable, LEGEND, summarize, writeResults } from './report.js';
import { runBench } from './run.js';
import { IMPL_NAMES, type ImplName } from './runner.js';
import { runScaleOut, SCALE_CONFIGS, SCALE_REPS, SCALE_SESSIONS, SCALE_WARMUP } from './scale.js';
import { formatScaleTable, SCALE_LEGEND } from './scale-report.js';
import { WORKLOAD_IDS, type WorkloadId, workloads } from './workloads.js';

const USAGE = `Usage: pnpm bench [--quick] [--reps N] [--only W1,W2,…] [--impl baseline,memory,postgres] [--fair on|off] [--scale on|off|one,two,api1,api2,half,twice,again] [--scale-reps N] [--scale-sessions N] [--warm N] [--write]

  --quick    small sizes and one repetition (a smoke run)
  --reps N   repetitions per workload and implementation; figures are medians (default 5)
  --only     workloads to run (${WORKLOAD_IDS.join(', ')})
  --impl     implementations to run (${IMPL_NAMES.join(', ')})
  --fair     SPANE's fairScheduling option (default on, the engine's default)
  --scale    the scale-out rows: W2 on store-postgres in one process, in two, with the API
             process apart from one and from two worker processes, in one process with half
             the slots and in two with all of them each (default on when W2 and postgres are
             selected); or a list of them by key (one, two, api1, api2, half, twice, again)
  --scale-reps N  repetitions of each scale-out session: pairs of runs, each configuration
             beside one process (default ${SCALE_REPS}; 1 with --quick)
  --scale-sessions N  sessions of each scale-out configuration, each in fresh processes
             (default ${SCALE_SESSIONS}; 1 with --quick)
  --warm N   executions of W2's shape each implementation's process runs, unmeasured,
             before its first repetition (default 0: the processes warm up as the
             repetitions go)
  --write    write the results to apps/bench/RESULTS.md

Environment: REDIS_URL (default redis://127.0.0.1:6379),
             DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)`;

function list<T extends string>(value: string | undefined, known: readonly T[], what: string): T[] {
  if (value === undefined) return [...known];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!known.includes(item as T)) {
      throw new Error(`unknown ${what} '${item}' (known: ${known.join(', ')})`);
    }
  }
  return items as T[];
}

async function main(): Promise<number> {
  const loadStart = loadavg()[0]!;
  // `pnpm bench -- --quick` passes a literal `--` through.
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      impl: { type: 'string' },
      fair: { type: 'string', default: 'on' },
      scale: { type: 'string', default: 'on' },
      'scale-reps': { type: 'string' },
      'scale-sessions': { type: 'string' },
      warm: { type: 'string' },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  // A positive whole number given with `flag`; `fallback` when not given (1 with --quick).
  const count = (flag: 'reps' | 'scale-reps' | 'scale-sessions', fallback: number): number => {
    const n = Number(values[flag] ?? (values.quick ? 1 : fallback));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer`);
    return n;
  };
  const reps = count('reps', 5);
  const scaleReps = count('scale-reps', SCALE_REPS);
  const scaleSessionCount = count('scale-sessions', SCALE_SESSIONS);
  if (values.fair !== 'on' && values.fair !== 'off') throw new Error('--fair: on or off');
  const scaleKeys =
    values.scale === 'on' || values.scale === 'off'
      ? SCALE_CONFIGS.map((c) => c.key)
      : list(
          values.scale,
          SCALE_CONFIGS.map((c) => c.key),
          'scale-out configuration',
        );
  const warm = Number(values.warm ?? 0);
  if (!Number.isInteger(warm) || warm < 0) throw new Error('--warm must be a whole number');
  const only = list<WorkloadId>(values.only, WORKLOAD_IDS, 'workload');
  const impls = list<ImplName>(values.impl, IMPL_NAMES, 'implementation');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    process.stderr.write('note: run with --expose-gc for forced GCs (falling back to a V8 flag)\n');
  }

  const selected = workloads(values.quick).filter((w) => only.includes(w.id));
  const bench = await runBench({
    workloads: selected,
    impls,
    reps,
    redisUrl,
    databaseUrl,
    fairScheduling: values.fair === 'on',
    warm,
  });
  const w2 = selected.find((w) => w.id === 'W2');
  const scaleRun =
    values.scale !== 'off' &&
    w2 &&
    impls.includes('postgres') &&
    !bench.skipped.some((s) => s.impl === 'postgres');
  const scaleResults = scaleRun
    ? await runScaleOut({
        workload: w2,
        warmup: values.quick ? w2.warmup : SCALE_WARMUP,
        redisUrl,
        databaseUrl,
        reps: scaleReps,
        sessions: scaleSessionCount,
        runId: `${process.pid}`,
        quick: values.quick,
        configs: scaleKeys,
      })
    : [];
  const rows = summarize(bench.results);
  const table = formatTable(rows);
  const notes = formatNotes(rows, bench);
  const costRows = rows.flatMap((r) => (r.cost ? [r.cost] : []));
  const cost = [
    formatCostTable(costRows),
    '',
    ...formatRedisTop(costRows).map((l) => `- ${l}`),
    ...(bench.pgStatStatements === false
      ? [
          '- pg_stat_statements cannot be read here (it needs shared_preload_libraries): SQL statements are the client-side count',
        ]
      : []),
    '',
    ...COST_LEGEND,
    ...(scaleResults.length > 0
      ? ['', '## Scale-out', '', ...formatScaleTable(scaleResults), '', ...SCALE_LEGEND]
      : []),
  ];

  console.log('');
  for (const w of selected)
    console.log(`${w.id}: ${w.title} (worker concurrency ${w.concurrency})`);
  console.log('');
  console.log(table);
  console.log('');
  for (const n of notes) console.log(`- ${n}`);
  console.log('');
  for (const l of LEGEND) console.log(l);
  console.log('');
  console.log('Cost per node');
  console.log('');
  for (const l of cost) console.log(l);

  const problems = [
    ...bench.warmProblems,
    ...bench.results.flatMap((r) =>
      r.problems.map((p) => `${r.workload.id} ${r.impl} rep ${r.rep + 1}: ${p}`),
    ),
    ...scaleResults.flatMap((r) =>
      r.problems.map((p) => `scale ${r.config.name} rep ${r.rep}: ${p}`),
    ),
  ];
  if (problems.length > 0) {
    console.log('');
    console.log(`CORRECTNESS PROBLEMS (${problems.length}):`);
    for (const p of problems.slice(0, 50)) console.log(`  ${p}`);
  }

  if (values.write) {
    const env = await collectEnvironment(redisUrl, bench.postgresVersion, loadStart);
    const path = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    const command = `pnpm bench${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`;
    await writeResults(path, env, command, table, notes, cost);
    console.log(`\nwrote ${path}`);
  }
  return problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
