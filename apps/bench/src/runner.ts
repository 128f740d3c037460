import type { Redis } from 'ioredis';
import type { SqlObservation } from './cost-probe.js';
import type { Tally, Workload } from './workloads.js';

/** The implementations measured: the raw-BullMQ baseline and SPANE on each store. */
export type ImplName = 'baseline' | 'memory' | 'postgres';
export const IMPL_NAMES: readonly ImplName[] = ['baseline', 'memory', 'postgres'];

/** How the tables name each implementation. */
export const IMPL_LABEL: Record<ImplName, string> = {
  baseline: 'baseline (raw BullMQ)',
  memory: 'SPANE + store-memory',
  postgres: 'SPANE + store-postgres',
};

/**
 * One implementation set up for one workload repetition: workers started, workflow
 * registered, on a Redis key prefix of its own. The bench only talks to this contract.
 */
export interface Runner {
  readonly impl: ImplName;
  readonly prefix: string;
  /** A command connection to the same Redis (used for `INFO` and key cleanup). */
  readonly redis: Redis;
  /** Node runs and problems seen by this runner's executors. */
  readonly tally: Tally;
  /** For an implementation on PostgreSQL: how the bench observes its store's pool. */
  readonly sql?: SqlObservation;
  /** Starts one execution and resolves with its id once it completed; rejects if it failed. */
  execute(): Promise<string>;
  /** Correctness problems of the given finished executions (empty when all is right). */
  verify(executionIds: readonly string[]): Promise<string[]>;
  /** Ids of executions started and not finished yet. */
  pending(): string[];
  /** What is known about executions that never finished (for the error report). */
  describe(executionIds: readonly string[]): Promise<string[]>;
  /** Drops state the implementation retains for finished executions (before the soak's "after"). */
  dropFinished(): Promise<void>;
  /** Stops workers, closes connections, deletes the prefix's keys and any store schema. */
  close(): Promise<void>;
}

export interface RunnerContext {
  workload: Workload;
  prefix: string;
  redisUrl: string;
  databaseUrl: string;
  /** SPANE's `fairScheduling` engine option (its default, on, when absent). */
  fairScheduling?: boolean;
  /** SPANE's worker slots in this process (0: an API process) @defaultValue the workload's concurrency */
  workers?: number;
}
