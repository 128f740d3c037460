import type { ExecutionStore, WorkflowPlan } from '@spane/core';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { RedisKeys } from './redis-keys.js';

/** A paused execution's jobs wait this long before they look again (resume wakes them at once). */
const PARK_MS = 6 * 60 * 60 * 1000;

/** What {@link ParkedJobs} needs. */
export interface ParkedJobsContext {
  store: Pick<ExecutionStore, 'getExecution' | 'setNodeStatus'>;
  redis: Pick<Redis, 'sadd' | 'srem' | 'smembers' | 'del'>;
  keys: Pick<RedisKeys, 'parked'>;
  queues: Pick<NodeQueues, 'forNode'>;
}

/**
 * The jobs of paused executions: a job whose node may not start because its execution is
 * paused parks itself as a far-future delayed job (holding no worker slot), listed under
 * `<prefix>:parked:<executionId>`; resume wakes them.
 */
export class ParkedJobs {
  readonly #ctx: ParkedJobsContext;

  constructor(ctx: ParkedJobsContext) {
    this.#ctx = ctx;
  }

  /** Parks the job of a paused execution (throwing BullMQ's `DelayedError`, as a processor must). */
  async park(job: Job<NodeJobData>, token: string | undefined): Promise<never> {
    const { store, redis, keys } = this.#ctx;
    const { executionId, nodeId } = job.data;
    // A node its parent's completion started (its handoff dropped by the pause) is not
    // running while this, its only job, parks: it waits for the resume like the rest.
    // (Before parking, so no run of it after a resume can be marked back.)
    const before = await store.getExecution(executionId);
    if (before?.status === 'paused' && before.nodeResults[nodeId]?.status === 'running') {
      await store.setNodeStatus(executionId, nodeId, 'queued');
    }
    await job.moveToDelayed(Date.now() + PARK_MS, token);
    await redis.sadd(keys.parked(executionId), job.id!);
    // Resume may have run between our check and the park: look again (resume wakes
    // parked jobs after setting the status, so one of the two always wakes this job).
    const status = (await store.getExecution(executionId))?.status;
    if (status === 'running' || status === 'pending') {
      await job.promote().catch(() => {});
      await redis.srem(keys.parked(executionId), job.id!);
    }
    throw new DelayedError();
  }

  /** Wakes every job parked while the execution was paused. */
  async wakeAll(executionId: string, plan: WorkflowPlan): Promise<void> {
    const key = this.#ctx.keys.parked(executionId);
    const parked = await this.#ctx.redis.smembers(key);
    const nodeOf = (jobId: string) => jobId.slice(executionId.length + 1);
    await Promise.all(parked.map((id) => this.#wake(plan, nodeOf(id), id)));
    await this.#ctx.redis.del(key);
  }

  /** Forgets the parked jobs of an execution (they were removed). */
  async forget(executionId: string): Promise<void> {
    await this.#ctx.redis.del(this.#ctx.keys.parked(executionId));
  }

  /** Promotes a parked (delayed) job so it runs now. */
  async #wake(plan: WorkflowPlan, nodeId: string, jobId: string): Promise<void> {
    const job = await this.#ctx.queues.forNode(plan, nodeId).getJob(jobId);
    if (job && (await job.isDelayed())) await job.promote().catch(() => {});
  }
}
