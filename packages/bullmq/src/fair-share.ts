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
  /**
   * How long tags given out ahead (spares) may be used for a tenant's next jobs, in ms;
   * 0: one script call per batch, no spares. @defaultValue {@link SPARE_MS}
   */
  spareMs?: number;
}

/** How long spare tags are used after they were asked for (ms). */
export const SPARE_MS = 50;

/** The most spare tags asked for at once, per queue and tenant. */
const MAX_SPARES = 64;

/** Tags of one queue and tenant given out ahead, and how busy that pair has been. */
interface Spares {
  /** The next spare tag. */
  next: number;
  /** The last spare tag. */
  last: number;
  /** Until when they may be used (this process's clock, ms). */
  until: number;
  /** Jobs tagged since `since`. */
  count: number;
  since: number;
  /** Jobs tagged in the `spareMs` before `since` (0 after a longer pause). */
  rate: number;
  /** A call asking ahead for spares (see FairShare.prime), while it runs. */
  pending?: Promise<void> | undefined;
}

/** Pairs kept before the idle ones are dropped. */
const MAX_PAIRS = 1_000;

/**
 * Fair scheduling between tenants on the node queues they share. BullMQ takes a queue's
 * jobs without a priority first-in first-out and those with one by priority, so one
 * tenant's backlog would make every other tenant's node wait behind all of it. With this
 * on, a job of an execution without a priority gets a virtual-time tag as its BullMQ
 * priority (see `src/lua/fair-tags-3.lua`): per queue and tenant, one past the larger of
 * the tenant's last tag and the tag of the queue's first waiting job. A tenant alone keeps
 * first-in first-out (its tags only grow); a tenant that had nothing waiting gets a tag
 * next to the head of the queue, so its node runs after about one job of each busy
 * tenant instead of after their backlogs. Jobs with a priority come after the band of
 * tags in priority order, as before.
 *
 * Costs one script call per batch of jobs added to a queue (none for a batch that has only
 * jobs with a priority) — and fewer for a busy tenant: the script also gives out as many
 * spare tags as the tenant had jobs in this queue in the last `spareMs`, and this process
 * tags that tenant's next jobs with them, without a call, for `spareMs` (so a chain of
 * nodes does not wait for a round trip per node). Spares were the tenant's next tags
 * anyway: across processes a tenant's jobs keep first-in first-out order only to within
 * `spareMs`. The tags are a clock, not a count: a reply lost after the script ran (or
 * spares left unused) only moves that tenant's next jobs later, by that many jobs, and the
 * gap closes as the queue's head passes it; every tag is dropped when the band empties, and
 * the band is moved down once its head passes the middle (after spares given out before
 * can no longer be used), so tags never run out.
 */
export class FairShare {
  readonly #ctx: FairShareContext;
  readonly #band: number;
  readonly #spareMs: number;
  /** Per queue and tenant. */
  readonly #spares = new Map<string, Spares>();

  constructor(ctx: FairShareContext) {
    this.#ctx = ctx;
    this.#band = ctx.band ?? FAIR_BAND;
    this.#spareMs = ctx.spareMs ?? SPARE_MS;
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
    const next = counts.size > 0 ? await this.#tags(queueName, counts) : new Map<string, number>();
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

  /**
   * Asks ahead for the tags of `count` jobs of a tenant about to be added to a queue (a
   * start's entry nodes, while the store creates the execution) unless spares cover them:
   * {@link FairShare.order} then waits for this call and tags them without one of its
   * own. Never throws: when the call fails, `order` asks again.
   */
  prime(queueName: string, tenantId: string, count: number): void {
    if (!this.#ctx.enabled || this.#spareMs === 0) return;
    const now = Date.now();
    const pair = this.#pair(pairKey(queueName, tenantId), now);
    if (pair.pending || (now < pair.until && pair.last - pair.next + 1 >= count)) return;
    const spare = Math.min(MAX_SPARES, Math.max(count, pair.rate, pair.count));
    pair.pending = this.#ask(queueName, [[tenantId, 0, spare, pair]]).then(
      () => {
        pair.pending = undefined;
      },
      () => {
        pair.pending = undefined;
      },
    );
  }

  /**
   * The first tag of each tenant's jobs of the batch: from the spares this process holds
   * when they cover the tenant's jobs (once a call asking ahead for them is back), else
   * from one script call for the others.
   */
  async #tags(queueName: string, counts: Map<string, number>): Promise<Map<string, number>> {
    const primed: Promise<void>[] = [];
    for (const tenantId of counts.keys()) {
      const pending = this.#spares.get(pairKey(queueName, tenantId))?.pending;
      if (pending) primed.push(pending);
    }
    if (primed.length > 0) await Promise.all(primed);
    const now = Date.now();
    const next = new Map<string, number>();
    const ask: [string, number, number, Spares][] = [];
    for (const [tenantId, n] of counts) {
      const pair = this.#pair(pairKey(queueName, tenantId), now);
      const rate = Math.max(pair.rate, pair.count);
      pair.count += n;
      if (now < pair.until && pair.last - pair.next + 1 >= n) {
        next.set(tenantId, pair.next);
        pair.next += n;
        continue;
      }
      ask.push([tenantId, n, this.#spareMs > 0 ? Math.min(MAX_SPARES, rate) : 0, pair]);
    }
    if (ask.length === 0) return next;
    const firsts = await this.#ask(queueName, ask);
    for (const [i, [tenantId]] of ask.entries()) next.set(tenantId, firsts[i]!);
    return next;
  }

  /**
   * One script call for `[tenant, jobs, spares, its pair]` entries: each tenant's first
   * tag, in order; each pair's spares are the tags after its jobs'.
   */
  async #ask(queueName: string, ask: [string, number, number, Spares][]): Promise<number[]> {
    const args: (string | number)[] = [this.#band, IDLE_QUEUE_KEYS_TTL_MS, 2 * this.#spareMs];
    for (const [tenantId, n, spare] of ask) args.push(tenantId, n, spare);
    const keys = [
      this.tagsKey(queueName),
      this.prioritizedKey(queueName),
      `${this.tagsKey(queueName)}:spares`,
    ];
    const until = Date.now() + this.#spareMs;
    const reply = await script.run(this.#ctx.redis as Redis, keys, args);
    if (!Array.isArray(reply) || reply.length !== 2 * ask.length) {
      throw new Error('the fair-tags script gave an unexpected reply');
    }
    return ask.map(([, n, , pair], i) => {
      const first = Number(reply[2 * i]);
      pair.next = first + n;
      pair.last = Number(reply[2 * i + 1]);
      pair.until = until;
      return first;
    });
  }

  /** A queue and tenant's spares and recent rate, its counting window moved on to `now`. */
  #pair(key: string, now: number): Spares {
    const window = this.#spareMs;
    let pair = this.#spares.get(key);
    if (pair && now - pair.since > window) {
      pair.rate = now - pair.since > 2 * window ? 0 : pair.count;
      pair.count = 0;
      pair.since = now;
    }
    if (!pair) {
      if (this.#spares.size >= MAX_PAIRS) {
        for (const [k, p] of this.#spares) if (now - p.since > 2 * window) this.#spares.delete(k);
      }
      pair = { next: 0, last: -1, until: 0, count: 0, since: now, rate: 0 };
      if (window > 0) this.#spares.set(key, pair);
    }
    return pair;
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

/** The key of a queue and tenant's {@link Spares}. */
function pairKey(queueName: string, tenantId: string): string {
  return `${queueName}\u0000${tenantId}`;
}

/** Whether a job belongs to an execution with a priority of its own. */
function hasPriority(job: NodeJob): boolean {
  return job.opts.priority !== undefined && job.opts.priority > 0;
}
