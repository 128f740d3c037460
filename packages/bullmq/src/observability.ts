import type {
  DependencyStatus,
  EngineHealth,
  ExecutionStore,
  QueueStats,
  TenantScope,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import type { FairShare } from './fair-share.js';
import type { NodeQueues } from './node-queues.js';
import type { WorkerPool } from './worker-pool.js';

/** What {@link Observability} needs. */
export interface ObservabilityContext {
  redis: Pick<Redis, 'ping'>;
  store: Pick<ExecutionStore, 'countDLQItems' | 'ping'>;
  queues: Pick<NodeQueues, 'all'>;
  workers: Pick<WorkerPool, 'health'>;
  /** Tells the waiting jobs that fair scheduling gave a priority (counted as `waiting`). */
  fair?: Pick<FairShare, 'tagged'>;
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
    const dlq = await this.#ctx.store.countDLQItems(scope ?? { allTenants: true });
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      paused: counts.paused ?? 0,
      prioritized: counts.prioritized ?? 0,
      dlq,
    };
  }

  /**
   * Checks Redis (a PING), the store (its `ping`) and this process's workers, each within
   * 2 s. A part `known` to be down (the dependency monitor's state) is reported down at
   * once, without a ping.
   */
  async health(known: DependencyStatus = { redis: true, store: true }): Promise<EngineHealth> {
    const [redis, store] = await Promise.all([
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
    ]);
    const workers = this.#ctx.workers.health();
    return { ok: redis && store && workers !== false, redis, store, workers };
  }
}
