import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { planNode } from '@spane/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';
import { enterRun } from './lua-scripts.js';
import type { NodeJobData } from './node-jobs.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { PlanSource } from './plan-source.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** src/lua/enter-run-1.lua */
const ENTER = new RedisScript(enterRun);

/** This machine's name, in a run's entry. */
const HOST = hostname();

/**
 * How long a job's set of runs lives after its last run began: long enough that a crash is
 * still counted when the job comes back after a long wait in the queue, short enough that
 * the sets of jobs that finished (a crash's entry is never removed) do not pile up.
 */
const RUNS_TTL_MS = 24 * 60 * 60 * 1000;

/** One run of a job, as its set keeps it (JSON). */
interface RunEntry {
  /** Unique per run. */
  run: string;
  pid: number;
  host: string;
  /** When it began (ISO 8601). */
  at: string;
}

/** A run under watch: `leave` when it ends in any way (returns, throws, parks). */
export interface WatchedRun {
  /** Forgets the run (it did not crash its worker). Never throws. */
  leave(): Promise<void>;
}

/** What {@link CrashGuard} needs. */
export interface CrashGuardContext {
  redis: Redis;
  keys: Pick<RedisKeys, 'crashes'>;
  plans: Pick<PlanSource, 'getPlan'>;
  recorder: Pick<OutcomeRecorder, 'recordFailure'>;
  logger: EngineLogger;
  /** Crashes after which a node is failed instead of run; 0: no limit. */
  maxCrashes: number;
}

const UNWATCHED: WatchedRun = { leave: async () => {} };

/**
 * Counts the runs of a node job that killed their worker (process exit, out of memory, a
 * kill): BullMQ's stalled check puts such a job back in the queue without a word, up to
 * `maxStalledCount` times. Each run adds itself to a Redis set of the job's runs when it
 * begins and removes itself when it ends in any way (its process is alive to do so: a
 * completion, a failure, a park, a delay, an abort). A run that finds entries of other runs
 * there finds runs that never ended: crashes (or, rarely, a run still alive that lost its
 * lock). Once there are `maxCrashes` of them the node is failed — dead-lettered, its
 * execution failed as any final failure does — instead of run again.
 *
 * The count is best effort: when Redis does not answer, the run goes on unwatched (and
 * BullMQ's `maxStalledCount` still ends a crash loop).
 */
export class CrashGuard {
  readonly #ctx: CrashGuardContext;

  constructor(ctx: CrashGuardContext) {
    this.#ctx = ctx;
  }

  /**
   * Begins watching a run of the job; null when the job's node crashed its worker
   * `maxCrashes` times: its failure is recorded and the run must not go on.
   */
  async enter(job: Job<NodeJobData>): Promise<WatchedRun | null> {
    const { maxCrashes, redis, logger } = this.#ctx;
    if (maxCrashes === 0) return UNWATCHED;
    const key = this.#ctx.keys.crashes(job.queueName, job.id ?? '', job.timestamp);
    const entry: RunEntry = {
      run: randomUUID(),
      pid: process.pid,
      host: HOST,
      at: new Date().toISOString(),
    };
    const own = JSON.stringify(entry);
    const watched = this.#watch(key, own);
    let others: string[];
    try {
      others = (await ENTER.run(redis, [key], [own, RUNS_TTL_MS, maxCrashes])) as string[];
    } catch (error) {
      // Unwatched; `leave` still removes the entry in case it was added.
      logger.warn('could not count the crashes of a node job', {
        jobId: job.id,
        error: (error as Error).message,
      });
      return watched;
    }
    if (others.length < maxCrashes) return watched;
    const crashed = others.map(parseEntry);
    await this.#failCrashLoop(job, crashed, watched, key);
    return null;
  }

  #watch(key: string, own: string): WatchedRun {
    return {
      leave: async () => {
        await this.#ctx.redis.srem(key, own).then(
          () => {},
          (error: Error) =>
            this.#ctx.logger.warn('could not end the crash watch of a node run', {
              key,
              error: error.message,
            }),
        );
      },
    };
  }

  /**
   * Records the node's failure (its execution fails unless the node may fail). The job's
   * runs are forgotten once that is recorded; if it could not be, this run leaves and the
   * error goes to BullMQ (the job is tried again, and finds the crashes again).
   */
  async #failCrashLoop(
    job: Job<NodeJobData>,
    crashed: RunEntry[],
    watched: WatchedRun,
    key: string,
  ): Promise<void> {
    const data = job.data;
    const message = crashLoopMessage(data.nodeId, crashed);
    this.#ctx.logger.warn(message, { executionId: data.executionId, jobId: job.id });
    try {
      const plan = await this.#ctx.plans.getPlan(
        data.tenantId,
        data.workflowId,
        data.workflowVersion,
      );
      const base = {
        executionId: data.executionId,
        workflowId: data.workflowId,
        tenantId: data.tenantId,
        nodeId: data.nodeId,
        nodeType: planNode(plan, data.nodeId).type,
      };
      // The attempt the crashes happened in (a crash uses no attempt of BullMQ's).
      const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade + 1;
      await this.#ctx.recorder.recordFailure(
        plan,
        base,
        { attempt, maybeChild: true },
        { message, stack: undefined, inputData: undefined },
      );
    } catch (error) {
      await watched.leave();
      throw error;
    }
    await this.#ctx.redis.del(key).catch(() => watched.leave());
  }
}

/** "node 'x' crashed its worker 3 times (…); last seen starting at … in process … on …". */
function crashLoopMessage(nodeId: string, crashed: readonly RunEntry[]): string {
  const last = crashed.reduce<RunEntry | undefined>(
    (latest, e) => (latest === undefined || e.at > latest.at ? e : latest),
    undefined,
  );
  const seen =
    last === undefined
      ? ''
      : `; last seen starting at ${last.at} in process ${last.pid} on ${last.host}`;
  return `node '${nodeId}' crashed its worker ${crashed.length} times (process exit, out of memory or kill)${seen}`;
}

function parseEntry(text: string): RunEntry {
  try {
    const e = JSON.parse(text) as Partial<RunEntry>;
    return { run: String(e.run), pid: Number(e.pid), host: String(e.host), at: String(e.at) };
  } catch {
    return { run: text, pid: 0, host: 'unknown', at: '' };
  }
}
