/**
 * Runs one scenario end to end: a fresh Redis prefix and store schema, the driver and a
 * fleet of workers, the workload and the fault at once, then the wait for every execution
 * to be terminal (up to the deadline), the snapshot and the checker. Cleans up (workers,
 * the driver, the store, a paused or stopped server) whatever happens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { createDriver } from './driver.js';
import { startFleet } from './fleet.js';
import type { PrivatePostgres } from './infra/postgres-server.js';
import type { PrivateRedis } from './infra/redis-server.js';
import { type CheckResult, checkInvariants } from './invariants.js';
import { type EnqueueRecord, readRecords } from './records.js';
import type { Rng } from './rng.js';
import { ENGINE_TIMINGS, MODES, type Mode, type Scenario } from './scenario.js';
import { takeSnapshot, waitTerminal } from './snapshot.js';
import { planWorkload, poisonWorkflow, SHAPES } from './workflows.js';

/** One scenario's outcome: the checker's counts and the recovery time. */
export interface ScenarioOutcome {
  scenario: string;
  result: CheckResult;
  /** From the fault healed to the last execution terminal (ms); undefined: not by the deadline. */
  recoveryMs: number | undefined;
  /** Set when the scenario could not run to its check (the checker's counts are then empty). */
  error?: string;
  /** Where the records are when they were kept. */
  recordsDir?: string;
}

/** What every scenario of a run shares. */
export interface RunEnv {
  mode: Mode;
  seed: number;
  rng: Rng;
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  keep: boolean;
  note(line: string): void;
}

/** Runs `scenario` and checks the invariants. */
export async function runScenario(scenario: Scenario, env: RunEnv): Promise<ScenarioOutcome> {
  const settings = MODES[env.mode];
  const tag = `${scenario.name.replace(/\W/g, '_')}_${env.seed}`;
  const recordsDir = mkdtempSync(join(tmpdir(), `spane-chaos-${scenario.name}-`));
  const prefix = `chaos-${tag}`;
  const schema = `chaos_${tag}`.toLowerCase();
  const store = new PostgresExecutionStore({ connectionString: env.postgres.url, schema });
  await store.migrate();
  const driver = createDriver({ redisUrl: env.redis.url, prefix, store, recordsDir });
  const fleet = startFleet({
    size: settings.workers,
    redisUrl: env.redis.url,
    databaseUrl: env.postgres.url,
    prefix,
    schema,
    recordsDir,
    concurrency: settings.concurrency,
    ...ENGINE_TIMINGS,
    maxOldSpaceMb: 256,
    respawnMs: 300,
  });
  try {
    await driver.register([...SHAPES, ...(scenario.poison ?? []).map(poisonWorkflow)]);
    await fleet.ready();
    const rng = env.rng.fork(scenario.name);
    const plan = planWorkload(rng.fork('workload'), {
      count: scenario.executions?.(env.mode) ?? settings.executions,
      spreadMs: settings.spreadMs,
      minSleepMs: settings.minSleepMs,
      maxSleepMs: settings.maxSleepMs,
      poison: scenario.poison,
      tag,
    });
    let healedAt = Number.POSITIVE_INFINITY;
    const deadline = () => healedAt + settings.deadlineMs + (scenario.extraDeadlineMs ?? 0);
    const ctx = {
      mode: env.mode,
      settings,
      rng: rng.fork('fault'),
      redis: env.redis,
      postgres: env.postgres,
      fleet,
      note: env.note,
    };
    const injected = scenario.inject(ctx).finally(() => {
      healedAt = Date.now();
    });
    await Promise.all([injected, driver.run(plan, deadline)]);
    const ids = readRecords(recordsDir)
      .filter((r): r is EnqueueRecord => r.kind === 'enqueue')
      .flatMap((r) => (r.executionId ? [r.executionId] : []));
    const doneAt = await waitTerminal(store, ids, deadline());
    // Jobs are removed and events heard a moment after the store says terminal.
    await new Promise((r) => setTimeout(r, 1_000));
    const snapshot = await takeSnapshot(store, ids, env.redis.url, prefix);
    const result = checkInvariants(readRecords(recordsDir), snapshot);
    return {
      scenario: scenario.name,
      result,
      recoveryMs: doneAt === undefined ? undefined : Math.max(0, doneAt - healedAt),
      ...(env.keep ? { recordsDir } : {}),
    };
  } finally {
    await env.redis.heal().catch(() => {});
    await env.postgres.heal().catch(() => {});
    await fleet.stop().catch(() => {});
    await driver.close().catch(() => {});
    await store.close().catch(() => {});
    if (env.keep) env.note(`records kept in ${recordsDir}`);
    else rmSync(recordsDir, { recursive: true, force: true });
  }
}
