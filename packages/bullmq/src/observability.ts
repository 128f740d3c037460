import type { EngineHealth, ExecutionStore, QueueStats, TenantScope } from '@spane/core';
import type { Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import type { NodeQueues } from './node-queues.js';
import type { WorkerPool } from './worker-pool.js';

/** What {@link Observability} needs. */
export interface ObservabilityContext {
  redis: Pick<Redis, 'ping'>;
  store: Pick<ExecutionStore, 'countDLQItems' | 'ping'>;
  queues: Pick<NodeQueues, 'all'>;
  workers: Pick<WorkerPool, 'health'>;
}

/** Job counts of the node queues, and the health of Redis, the store and the workers. */
export class Observability {
  readonly #ctx: ObservabilityContext;

  constructor(ctx: ObservabilityContext) {
    this.#ctx = ctx;
  }

  /**
   * Job counts summed over the node queues, and the dead-letter items of the scope's
   * tenant (of every tenant without a scope).
   */
  async queueStats(scope?: TenantScope): Promise<QueueStats> {
    const perQueue = await Promise.all(
      this.#ctx.queues
        .all()
        .map((q) =>
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
    );
    const counts: Record<string, number> = {};
    for (const c of perQueue) {
      for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
    }
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

  /** Checks Redis (a PING), the store (its `ping`) and this process's workers, each within 2 s. */
  async health(): Promise<EngineHealth> {
    const [redis, store] = await Promise.all([
      within(this.#ctx.redis.ping(), 2_000).then(
        (r) => r === 'PONG',
        () => false,
      ),
      within(this.#ctx.store.ping(), 2_000).then(
        (r) => r !== TIMED_OUT,
        () => false,
      ),
    ]);
    const workers = this.#ctx.workers.health();
    return { ok: redis && store && workers !== false, redis, store, workers };
  }
}
