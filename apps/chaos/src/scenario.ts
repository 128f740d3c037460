/**
 * What a scenario is (a fault to inject while a workload runs) and the settings of the two
 * modes.
 */
import type { Fleet } from './fleet.js';
import type { PrivatePostgres } from './infra/postgres-server.js';
import type { PrivateRedis } from './infra/redis-server.js';
import type { PoisonKind } from './node-types.js';
import type { Rng } from './rng.js';

/** `short` runs in CI (a few minutes in all); `long` runs every scenario with more load. */
export type Mode = 'short' | 'long';

/** The settings of a mode. */
export interface ModeSettings {
  workers: number;
  concurrency: number;
  /** Executions of the normal shapes per scenario. */
  executions: number;
  /** Over how long they are enqueued (ms). */
  spreadMs: number;
  minSleepMs: number;
  maxSleepMs: number;
  /** After the fault is healed, how long every execution has to become terminal. */
  deadlineMs: number;
}

/** Engine timings every worker uses: short locks so that recoveries fit in a test run. */
export const ENGINE_TIMINGS = { lockMs: 3_000, stalledMs: 1_000, reconcileMs: 5_000 };

/** The settings of each mode. */
export const MODES: Record<Mode, ModeSettings> = {
  short: {
    workers: 2,
    concurrency: 4,
    executions: 24,
    spreadMs: 6_000,
    minSleepMs: 20,
    maxSleepMs: 150,
    deadlineMs: 40_000,
  },
  long: {
    workers: 3,
    concurrency: 6,
    executions: 120,
    spreadMs: 20_000,
    minSleepMs: 20,
    maxSleepMs: 300,
    deadlineMs: 90_000,
  },
};

/** What a scenario's `inject` may use. */
export interface FaultContext {
  mode: Mode;
  settings: ModeSettings;
  /** This scenario's generator (forked from the run's seed by the scenario's name). */
  rng: Rng;
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  fleet: Fleet;
  /** A progress line. */
  note(line: string): void;
}

/** One fault-injection scenario. */
export interface Scenario {
  /** Unique, kebab-case: what `--scenario` selects. */
  name: string;
  /** One line: what it does. */
  description: string;
  /** Poison executions added to the workload (one per kind). */
  poison?: PoisonKind[];
  /** Overrides of the mode's workload size (e.g. a smaller workload next to a poison node). */
  executions?: (mode: Mode) => number;
  /** Extra time past the mode's deadline (crash loops take long on today's engine). */
  extraDeadlineMs?: number;
  /** Injects the fault while the workload runs; resolves once it is healed. */
  inject(ctx: FaultContext): Promise<void>;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A random live worker's PID (throws when none is alive). */
export function randomWorker(ctx: FaultContext): number {
  const pids = ctx.fleet.pids();
  if (pids.length === 0) throw new Error('no live worker to fault');
  return ctx.rng.pick(pids);
}
