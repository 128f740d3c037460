import type { Redis } from 'ioredis';
import { IDLE_QUEUE_KEYS_TTL_MS } from './idle-queue-keys.js';
import { fairTags } from './lua-scripts.js';
import type { NodeJob } from './node-enqueuer.js';
import { RedisScript } from './redis-script.js';
import { MAX_PRIORITY } from './start-checks.js';

/**
 * The BullMQ priorities that fair scheduling gives the jobs of executions without a
 * priority (1 to this, their tags); a job with priority `p` gets `FAIR_BAND + p` (at most
 * BullMQ's largest, {@link MAX_PRIORITY}), so it still runs after every job without one,
 * as it does without fair scheduling.
 */
export const FAIR_BAND = 1_048_575;

const script = new RedisScript(fairTags);

/** What {@link FairShare} needs. */
export interface FairShareContext {
  /** The engine's command connection. */
  redis: Pick<Redis, 'evalsha' | 'eval' | 'zcount'>;
  /** The engine's Redis prefix (BullMQ's keys of a queue are `<prefix>:<queue>:…`). */
  prefix: string;
  /** Off: jobs keep the priority of their execution (none goes to BullMQ's wait list). */
  enabled: boolean;
  /** The largest tag (tests make it small). @defaultValue {@link FAIR_BAND} */
  band?: number;
}

/**
 * Fair scheduling between tenants on the node queues they share. BullMQ takes a queue's
 * jobs without a priority first-in first-out and those with one by priority, so one
 * tenant's backlog would make every other tenant's node wait behind all of it. With this
 * on, a job of an execution without a priority gets a virtual-time tag as its BullMQ
 * priority (see `src/lua/fair-tags-2.lua`): per queue and tenant, one past the larger of
 * the tenant's last tag and the tag of the queue's first waiting job. A tenant alone keeps
 * first-in first-out (its tags only grow); a tenant that had nothing waiting gets a tag
 * next to the head of the queue, so its node runs after about one job of each busy
 * tenant instead of after their backlogs. Jobs with a priority come after the band of
 * tags in priority order, as before.
 *
 * Costs one script call per batch of jobs added to a queue (none for a batch that has only
 * jobs with a priority). The tags are a clock, not a count: a reply lost after the script
 * ran only moves that tenant's next jobs later, by the jobs of that batch, and the gap
 * closes as the queue's head passes it; every tag is dropped when the band empties, and
 * the band is moved down once its head passes the middle, so tags never run out.
 */
export class FairShare {
  readonly #ctx: FairShareContext;
  readonly #band: number;

  constructor(ctx: FairShareContext) {
    this.#ctx = ctx;
    this.#band = ctx.band ?? FAIR_BAND;
  }

  /** The Redis hash of the tags of a queue's tenants. */
  tagsKey(queueName: string): string {
    return `${this.#ctx.prefix}:${queueName}:fair`;
  }

  /**
   * The jobs about to be added to one queue with their BullMQ priority set (copies; the
   * jobs given are not changed): a tag for each job without a priority, taken in the order
   * given per tenant; the band's end plus its priority for the others. The jobs as they
   * are when fair scheduling is off.
   * @throws the Redis error of the script call (nothing is to be added then)
   */
  async order(queueName: string, jobs: readonly NodeJob[]): Promise<readonly NodeJob[]> {
    if (!this.#ctx.enabled) return jobs;
    const counts = new Map<string, number>();
    for (const job of jobs) {
      if (hasPriority(job)) continue;
      counts.set(job.data.tenantId, (counts.get(job.data.tenantId) ?? 0) + 1);
    }
    const next = new Map<string, number>();
    if (counts.size > 0) {
      const args: (string | number)[] = [this.#band, IDLE_QUEUE_KEYS_TTL_MS];
      for (const [tenantId, n] of counts) args.push(tenantId, n);
      const keys = [this.tagsKey(queueName), this.prioritizedKey(queueName)];
      const firsts = await script.run(this.#ctx.redis as Redis, keys, args);
      if (!Array.isArray(firsts) || firsts.length !== counts.size) {
        throw new Error('the fair-tags script gave an unexpected reply');
      }
      let i = 0;
      for (const tenantId of counts.keys()) next.set(tenantId, Number(firsts[i++]));
    }
    return jobs.map((job) => {
      let priority: number;
      if (hasPriority(job)) {
        const own = job.opts.priority as number;
        // One BullMQ refuses (a store's value out of range) is left for it to refuse.
        priority = own > MAX_PRIORITY ? own : Math.min(MAX_PRIORITY, this.#band + own);
      } else {
        const tag = next.get(job.data.tenantId) as number;
        next.set(job.data.tenantId, tag + 1);
        priority = Math.min(this.#band, tag);
      }
      return { ...job, opts: { ...job.opts, priority } };
    });
  }

  /** BullMQ's sorted set of a queue's jobs that wait with a priority. */
  prioritizedKey(queueName: string): string {
    return `${this.#ctx.prefix}:${queueName}:prioritized`;
  }

  /**
   * How many of a queue's jobs with a BullMQ priority are fair tags, i.e. jobs of
   * executions without a priority (0 when fair scheduling is off).
   */
  async tagged(queueName: string): Promise<number> {
    if (!this.#ctx.enabled) return 0;
    const top = (this.#band + 1) * 2 ** 32;
    return this.#ctx.redis.zcount(this.prioritizedKey(queueName), '-inf', `(${top}`);
  }
}

/** Whether a job belongs to an execution with a priority of its own. */
function hasPriority(job: NodeJob): boolean {
  return job.opts.priority !== undefined && job.opts.priority > 0;
}
