import type { WorkflowPlan } from '@spane/core';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';
import { acquireSlot, releaseSlot } from './lua-scripts.js';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { ConcurrencyKeys, RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** src/lua/acquire-slot-3.lua */
const ACQUIRE = new RedisScript(acquireSlot);

/** src/lua/release-slot-3.lua */
const RELEASE = new RedisScript(releaseSlot);

/** A job waiting for a slot sleeps this long at most (a release wakes it at once). */
const PARK_MS = 6 * 60 * 60 * 1000;

/** A slot held by one node run; release it when the run leaves the worker. */
export interface Slot {
  release(): Promise<void>;
}

export interface ConcurrencyGateDeps {
  redis: Redis;
  keys: RedisKeys;
  queues: Pick<NodeQueues, 'get'>;
  logger: EngineLogger;
  /** A slot not refreshed for this long is free again (its holder died). */
  slotTtlMs: number;
  /** How often a running node refreshes its slot. */
  refreshMs: number;
}

/**
 * Workflow `maxConcurrency`: at most that many nodes of the workflow (per tenant) run at
 * once, across all its executions, workers and processes.
 *
 * A Redis sorted set per workflow holds the slots (member: the job, score: when the slot
 * expires unless its holder refreshes it, so a crashed worker's slot comes back); a second
 * sorted set holds the jobs waiting for one, oldest first. A job takes a slot atomically
 * (Lua) when it starts; one that gets none is queued among the waiters and parks itself as
 * a far-future delayed job, holding no worker slot. A job leaving its worker gives its slot
 * straight to the oldest waiter (same script) and promotes that waiter's job. No polling.
 *
 * Lost wake-ups: the hand-over happens in Redis, so it cannot be missed; only the promote
 * can, when the waiter has not parked yet. The waiter therefore looks again after parking
 * and promotes itself when it was handed a slot meanwhile (as `#notStarted` does for pause).
 */
export class ConcurrencyGate {
  readonly #d: ConcurrencyGateDeps;
  readonly #index: string;

  constructor(deps: ConcurrencyGateDeps) {
    this.#d = deps;
    this.#index = deps.keys.concurrencyIndex;
  }

  /**
   * Takes a slot for the job, or parks the job until one is handed to it (throwing
   * BullMQ's `DelayedError`, as a processor must after moving its job). Returns undefined
   * when the workflow has no `maxConcurrency`.
   */
  async acquire(
    plan: WorkflowPlan,
    job: Job<NodeJobData>,
    token: string | undefined,
  ): Promise<Slot | undefined> {
    const max = plan.definition.maxConcurrency;
    if (max === undefined) return undefined;
    const keys = this.#d.keys.concurrency(job.data.tenantId, plan.workflowId);
    const member = this.#d.keys.concurrencyMember(job.queueName, job.id);
    const [acquired, ...handed] = (await ACQUIRE.run(
      this.#d.redis,
      [keys.slots, keys.waiting, this.#index],
      [Date.now(), this.#d.slotTtlMs, max, member, keys.field],
    )) as [number, ...string[]];
    await this.#wake(keys, max, handed);
    if (acquired === 1) return this.#slot(keys, max, member);
    await job.moveToDelayed(Date.now() + PARK_MS, token);
    // A release may have handed this job a slot before it was parked, when its promote
    // could not move it yet: look again now that it is parked.
    if ((await this.#d.redis.zscore(keys.slots, member)) !== null) {
      await job.promote().catch(() => {});
    }
    throw new DelayedError();
  }

  #slot(keys: ConcurrencyKeys, max: number, member: string): Slot {
    const timer = setInterval(() => {
      this.#d.redis
        .zadd(keys.slots, 'XX', Date.now() + this.#d.slotTtlMs, member)
        .catch((err: Error) =>
          this.#d.logger.warn('could not refresh a concurrency slot', { error: err.message }),
        );
    }, this.#d.refreshMs);
    timer.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        await this.#release(keys, max, member);
      },
    };
  }

  async #release(keys: ConcurrencyKeys, max: number, member: string): Promise<void> {
    const handed = (await RELEASE.run(
      this.#d.redis,
      [keys.slots, keys.waiting, this.#index],
      [Date.now(), this.#d.slotTtlMs, max, member, keys.field],
    )) as string[];
    await this.#wake(keys, max, handed);
  }

  /** Promotes the jobs just handed a slot; a job that no longer exists gives it on. */
  async #wake(keys: ConcurrencyKeys, max: number, members: readonly string[]): Promise<void> {
    for (const member of members) {
      const { queueName, jobId } = this.#d.keys.concurrencyJob(member);
      const job = await this.#d.queues
        .get(queueName)
        .getJob(jobId)
        .catch(() => undefined);
      const state = job ? await job.getState().catch(() => 'unknown') : 'unknown';
      if (state === 'delayed') await job!.promote().catch(() => {});
      else if (state === 'unknown' || state === 'completed' || state === 'failed') {
        await this.#release(keys, max, member);
      }
      // Waiting or prioritized: it runs soon and finds its slot. Active: it is about to
      // park and will find its slot when it looks again.
    }
  }

  /** Frees the slots and places of jobs that were removed (a cancelled execution). */
  async forget(
    plan: WorkflowPlan,
    tenantId: string,
    jobs: readonly { queue: string; jobId: string }[],
  ): Promise<void> {
    const max = plan.definition.maxConcurrency;
    if (max === undefined) return;
    const keys = this.#d.keys.concurrency(tenantId, plan.workflowId);
    for (const { queue, jobId } of jobs) {
      await this.#release(keys, max, this.#d.keys.concurrencyMember(queue, jobId));
    }
  }

  /**
   * The reconciler's pass: hands slots that expired (their holder died) to waiters. Returns
   * how many waiters were woken.
   */
  async drain(): Promise<number> {
    const entries = await this.#d.redis.hgetall(this.#index);
    let woken = 0;
    for (const [field, max] of Object.entries(entries)) {
      const { tenantId, workflowId } = this.#d.keys.concurrencyOwner(field);
      const keys = this.#d.keys.concurrency(tenantId, workflowId);
      const handed = (await RELEASE.run(
        this.#d.redis,
        [keys.slots, keys.waiting, this.#index],
        [Date.now(), this.#d.slotTtlMs, Number(max), '', keys.field],
      )) as string[];
      woken += handed.length;
      await this.#wake(keys, Number(max), handed);
    }
    return woken;
  }
}
