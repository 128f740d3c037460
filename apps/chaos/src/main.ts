/**
 * The chaos suite's command line:
 *
 *   tsx src/main.ts [--short | --long] [--seed N] [--scenario a,b] [--ci] [--keep]
 *
 * Starts a private Redis (AOF) and PostgreSQL, runs the scenarios one after the other,
 * prints the table, and exits 1 when any invariant failed (each failure with its seed and
 * scenario and the command that runs it again).
 */

import { parseArgs } from './cli-args.js';
import { startPrivatePostgres } from './infra/postgres-server.js';
import { startPrivateRedis } from './infra/redis-server.js';
import { checkInvariants, passes } from './invariants.js';
import { createRng } from './rng.js';
import { runScenario, type ScenarioOutcome } from './run-scenario.js';
import { CI_SCENARIOS, SCENARIOS } from './scenarios/index.js';
import { formatTable } from './table.js';

const args = parseArgs(process.argv.slice(2));
const chosen = SCENARIOS.filter(
  (s) =>
    (args.only ? args.only.includes(s.name) : true) &&
    (args.ci ? CI_SCENARIOS.includes(s.name) : true),
);
if (args.only) {
  const unknown = args.only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    process.exit(2);
  }
}
const started = Date.now();
const note = (line: string) =>
  console.log(`  [${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
console.log(`chaos: ${args.mode} mode, seed ${args.seed}, ${chosen.length} scenario(s)`);

const cleanups: (() => Promise<void>)[] = [];
const cleanup = async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`chaos: ${sig}, cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}

const outcomes: ScenarioOutcome[] = [];
try {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const postgres = await startPrivatePostgres();
  cleanups.push(() => postgres.stop());
  const rng = createRng(args.seed);
  for (const scenario of chosen) {
    console.log(`scenario ${scenario.name}: ${scenario.description}`);
    const env = { mode: args.mode, seed: args.seed, rng, redis, postgres, keep: args.keep, note };
    const outcome = await runScenario(scenario, env).catch(
      (err: Error): ScenarioOutcome => ({
        scenario: scenario.name,
        result: {
          ...checkInvariants([], { executions: {}, liveJobs: [] }),
          violations: [`error: ${err.message}`],
        },
        recoveryMs: undefined,
        error: err.message,
      }),
    );
    outcomes.push(outcome);
    const r = outcome.result;
    note(
      `${passes(r) ? 'ok' : 'FAIL'}: ${r.executions} executions, ${r.lost} lost, ${r.stuck} stuck, ${r.concurrentSameAttempt} concurrent same-attempt`,
    );
  }
} finally {
  await cleanup();
}

console.log(`\n${formatTable(outcomes)}\n`);
const failures = outcomes.filter((o) => o.error !== undefined || !passes(o.result));
for (const f of failures) {
  console.log(`FAILED ${f.scenario} (seed ${args.seed}):`);
  for (const v of f.result.violations) console.log(`  ${v}`);
  console.log(
    `  again: pnpm --filter @spane/chaos chaos --${args.mode} --seed ${args.seed} --scenario ${f.scenario}`,
  );
}
console.log(
  `chaos: ${outcomes.length - failures.length} of ${outcomes.length} scenario(s) passed in ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${args.seed})`,
);
process.exit(failures.length ? 1 : 0);
