import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';

/**
 * How long a queue's bookkeeping keys outlive the last engine that served the queue with
 * workers (24 hours), unless a worker of the queue connects again meanwhile.
 */
export const IDLE_QUEUE_KEYS_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The keys BullMQ keeps per queue rather than per job: the job counter (`id`; every SPANE
 * job has an id of its own, so the counter only orders delayed jobs due in the same
 * millisecond), the queue's settings (`meta`: the event stream's cap, BullMQ's version, a
 * limited node type's global concurrency and rate limit — written again when a queue is
 * opened and when workers start) and its event stream (`events`). BullMQ recreates each
 * on use, so they may expire while no worker serves the queue.
 */
const BOOKKEEPING_KEYS = ['id', 'meta', 'events'] as const;

/** A BullMQ queue or worker: its name and how it names its Redis keys. */
export interface QueueKeyNames {
  readonly name: string;
  toKey(type: string): string;
}

/** The part of a BullMQ queue that lists the workers connected to it (`CLIENT LIST`). */
export interface ServedQueue extends QueueKeyNames {
  getWorkers(): Promise<{ [key: string]: string }[]>;
}

/** What {@link IdleQueueKeys} needs. */
export interface IdleQueueKeysContext {
  /** The engine's command connection. */
  redis: Pick<Redis, 'multi'>;
  logger: EngineLogger;
}

/**
 * Lets the keys of queues nobody works on expire. A finished execution leaves no job (node
 * jobs are removed when they complete), but each queue keeps a few keys of its own for as
 * long as it exists: when an engine closes, the queues that no other engine's workers
 * serve get an expiry on those keys, and every worker removes it again from its queue's
 * keys when it connects (also after a reconnection).
 *
 * No race leaves a served queue's keys expiring: a closing engine sets the expiry first and
 * then lists the queue's workers, taking the expiry off again if it finds one, while a
 * worker takes it off only once its connection is up (and named, so listed): whichever
 * comes last of the two wins, and each sees the other.
 */
export class IdleQueueKeys {
  /** The BullMQ worker name of this engine's workers (so that it can tell them from others'). */
  readonly workerName = `spane-${randomUUID()}`;
  readonly #ctx: IdleQueueKeysContext;

  constructor(ctx: IdleQueueKeysContext) {
    this.#ctx = ctx;
  }

  /** Takes the expiry off a queue's bookkeeping keys: a worker of it is connected. */
  async keep(queue: QueueKeyNames): Promise<void> {
    const multi = this.#ctx.redis.multi();
    for (const key of BOOKKEEPING_KEYS) multi.persist(queue.toKey(key));
    await multi.exec();
  }

  /**
   * Called by a closing engine once its own workers closed: gives the bookkeeping keys of
   * each queue that no other worker serves an expiry. A queue whose workers cannot be
   * listed (`CLIENT LIST` refused) counts as served. Returns the names of the queues whose
   * keys now expire.
   */
  async expireUnserved(queues: readonly ServedQueue[]): Promise<string[]> {
    const expiring: string[] = [];
    for (const queue of queues) {
      const multi = this.#ctx.redis.multi();
      for (const key of BOOKKEEPING_KEYS) multi.pexpire(queue.toKey(key), IDLE_QUEUE_KEYS_TTL_MS);
      await multi.exec();
      const served = await this.#servedByOthers(queue).catch((err: Error) => {
        this.#ctx.logger.debug('could not list the workers of a queue', {
          queue: queue.name,
          error: err.message,
        });
        return true;
      });
      if (served) await this.keep(queue);
      else expiring.push(queue.name);
    }
    return expiring;
  }

  /** Whether a worker of another engine (or one that cannot be told apart) serves the queue. */
  async #servedByOthers(queue: ServedQueue): Promise<boolean> {
    const own = `:w:${this.workerName}`;
    const workers = await queue.getWorkers();
    return workers.some((w) => !(typeof w.name === 'string' && w.name.endsWith(own)));
  }
}
