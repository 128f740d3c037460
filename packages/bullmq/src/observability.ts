import type {
  DependencyStatus,
  EngineHealth,
  ExecutionStore,
  QueueStats,
  TenantScope,
  WorkerFleet,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import type { FairShare } from './fair-share.js';
import { NODE_QUEUE, type NodeQueues } from './node-queues.js';
import { readWorkerFleet } from './worker-liveness.js';
import type { WorkerPool } from './worker-pool.js';

/** What {@link Observability} needs. */
export interface ObservabilityContext {
  redis: Pick<Redis, 'ping' | 'multi' | 'hdel'>;
  store: Pick<ExecutionStore, 'countDLQItems' | 'ping'>;
  queues: Pick<NodeQueues, 'all' | 'default'>;
  workers: Pick<WorkerPool, 'health'>;
  /** Tells the waiting jobs that fair scheduling gave a priority (counted as `waiting`). */
  fair?: Pick<FairShare, 'tagged'>;
  /** The hash of worker heartbeats, and when a live worker counts as stuck (ms). */
  heartbeats: { key: string; stuckAfterMs: number };
}

/** Job counts of the node queues, and the health of Redis, the store and the workers. */
export class Observability {
  readonly #ctx: ObservabilityContext;

  constructor(ctx: ObservabilityContext) {
    this.#ctx = ctx;
  }

  /**
   * Job counts summed over the node queues, and the dead-letter items of the scope's
   * tenant (of every tenant without a scope). Jobs that wait with a fair-scheduling tag as
   * their BullMQ priority (executions without a priority) count as `waiting`, as they do
   * with fair scheduling off; `prioritized` counts those of executions with a priority.
   * `workers` lists the live worker processes of the prefix (see {@link WorkerFleet}).
   */
  async queueStats(scope?: TenantScope): Promise<QueueStats> {
    const queues = this.#ctx.queues.all();
    const [perQueue, tagged] = await Promise.all([
      Promise.all(
        queues.map((q) =>
          q.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'completed',
            'failed',
            'paused',
            'prioritized',
          ),
        ),
      ),
      Promise.all(queues.map((q) => this.#ctx.fair?.tagged(q.name) ?? 0)),
    ]);
    const counts: Record<string, number> = {};
    for (const c of perQueue) {
      for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
    }
    const fair = tagged.reduce((a, b) => a + b, 0);
    counts.waiting = (counts.waiting ?? 0) + fair;
    counts.prioritized = Math.max(0, (counts.prioritized ?? 0) - fair);
    const nodes = perQueue[queues.findIndex((q) => q.name === NODE_QUEUE)];
    const ready = (nodes?.waiting ?? 0) + (nodes?.prioritized ?? 0);
    const [dlq, workers] = await Promise.all([
      this.#ctx.store.countDLQItems(scope ?? { allTenants: true }),
      this.#fleet(ready),
    ]);
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      paused: counts.paused ?? 0,
      prioritized: counts.prioritized ?? 0,
      dlq,
      workers,
    };
  }

  /**
   * Checks Redis (a PING), the store (its `ping`) and this process's workers, each within
   * 2 s, and counts the prefix's live and stuck workers (null when that took longer, or
   * while Redis is known to be down). A part `known` to be down (the dependency monitor's
   * state) is reported down at once, without a ping.
   */
  async health(known: DependencyStatus = { redis: true, store: true }): Promise<EngineHealth> {
    const [redis, store, liveWorkers] = await Promise.all([
      known.redis &&
        within(this.#ctx.redis.ping(), 2_000).then(
          (r) => r === 'PONG',
          () => false,
        ),
      known.store &&
        within(this.#ctx.store.ping(), 2_000).then(
          (r) => r !== TIMED_OUT,
          () => false,
        ),
      known.redis
        ? within(this.#liveWorkers(), 2_000).then(
            (r) => (r === TIMED_OUT ? null : r),
            () => null,
          )
        : null,
    ]);
    const workers = this.#ctx.workers.health();
    return { ok: redis && store && workers !== false, redis, store, workers, liveWorkers };
  }

  /** Live and stuck workers: the heartbeats, judged against the `nodes` queue's ready jobs. */
  async #liveWorkers(): Promise<{ live: number; stuck: number }> {
    const counts = await this.#ctx.queues.default.getJobCounts('waiting', 'prioritized');
    const { live, stuck } = await this.#fleet((counts.waiting ?? 0) + (counts.prioritized ?? 0));
    return { live, stuck };
  }

  #fleet(readyJobs: number): Promise<WorkerFleet> {
    const { redis, heartbeats } = this.#ctx;
    return readWorkerFleet(redis, heartbeats.key, readyJobs, heartbeats.stuckAfterMs);
  }
}
