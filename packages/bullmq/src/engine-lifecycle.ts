import { EngineClosedError } from '@spane/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { settled, TIMED_OUT, within } from './bounded-wait.js';
import type { Admission } from './engine-admission.js';
import type { EngineChannel } from './engine-channel.js';
import type { EngineLogger } from './engine-options.js';
import type { Handoffs } from './handoffs.js';
import type { IdleQueueKeys, ServedQueue } from './idle-queue-keys.js';
import { closeQueue, type NodeQueues } from './node-queues.js';
import type { Reconciler } from './reconciler.js';
import type { RunningNodes } from './running-nodes.js';
import type { WorkerPool } from './worker-pool.js';
import type { WorkflowCatalogue } from './workflow-catalogue.js';

/** How long `close()` waits for Redis once the running nodes finished or were aborted. */
const CLOSE_REDIS_MS = 5_000;
/** How long `close()` waits to set the expiry of idle queues' keys (see IdleQueueKeys). */
const EXPIRY_WAIT_MS = 2_000;

/** The engine's Redis connections, and whether it closes the command connection. */
export interface EngineConnections {
  /** The command connection (publishing, queues, scripts). */
  redis: Redis;
  /** True when the engine made `redis` (and so quits it). */
  ownsRedis: boolean;
  /** The engine's error listener on `redis` (removed on close when the caller owns it). */
  onRedisError: (err: Error) => void;
  /** The workers' connection. */
  workerConnection: Redis;
}

/** What {@link EngineLifecycle} needs. */
export interface EngineLifecycleContext {
  /** The public calls under way, refused once close() is called. */
  admission: Pick<Admission, 'close' | 'drained'>;
  /**
   * The check of Redis' configuration begun at construction: the error startWorkers()
   * refuses with, if any (see `requireNoEviction`), else undefined.
   */
  serverCheck: Promise<Error | undefined>;
  connections: EngineConnections;
  channel: Pick<EngineChannel, 'open' | 'close' | 'disconnect'>;
  pool: Pick<WorkerPool, 'checkStart' | 'start' | 'ready' | 'close'>;
  catalogue: Pick<WorkflowCatalogue, 'resyncTriggers'>;
  reconciler: Pick<Reconciler, 'run' | 'start' | 'stop'>;
  handoffs: Pick<Handoffs, 'setSlots'>;
  runs: Pick<RunningNodes, 'abortAll'>;
  /** Set when the grace period ends: node runs stop retrying store and Redis calls. */
  closing: { value: boolean };
  queues: Pick<NodeQueues, 'close' | 'opened'>;
  controlQueue: Pick<Queue, 'waitUntilReady' | 'close'> & ServedQueue;
  /** Lets the keys of the queues no other engine serves expire. */
  idleKeys: Pick<IdleQueueKeys, 'expireUnserved'>;
  /** How long close() lets running nodes finish before it aborts them. */
  shutdownGraceMs: number;
  logger: EngineLogger;
}

/**
 * Starting this process's workers and closing the engine: the order of the steps, the
 * grace period of running nodes, and the bounded wait for a Redis that does not answer.
 */
export class EngineLifecycle {
  readonly #ctx: EngineLifecycleContext;
  /** Aborted when close() is called. */
  readonly #closed = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(ctx: EngineLifecycleContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts the workers, then rebuilds the triggers from the store, runs a reconcile pass
   * and starts the periodic one. @throws InvalidArgumentError (also for a Redis whose
   * `maxmemory-policy` is not `noeviction` with `requireNoEviction`) | EngineClosedError
   */
  async startWorkers(concurrency: number): Promise<void> {
    const { pool, logger } = this.#ctx;
    pool.checkStart(concurrency);
    if (this.#closing) throw new EngineClosedError();
    const refusal = await this.#whileOpen(this.#ctx.serverCheck);
    if (refusal) throw refusal;
    // Redis may not answer (yet): a close() meanwhile ends the wait.
    await this.#whileOpen(this.#ctx.channel.open());
    await pool.start(concurrency);
    await this.#whileOpen(pool.ready());
    await this.#ctx.catalogue
      .resyncTriggers()
      .catch((err: Error) => logger.warn('could not rebuild triggers', { error: err.message }));
    await this.#ctx.reconciler
      .run()
      .catch((err: Error) => logger.warn('reconcile failed', { error: err.message }));
    this.#ctx.reconciler.start();
  }

  /**
   * Closes the engine (once; later calls return the same promise). Calls made from now on
   * are refused (EngineClosedError); calls under way may finish within the grace period.
   */
  close(): Promise<void> {
    this.#ctx.admission.close();
    this.#closed.abort();
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `promise`, or an EngineClosedError once close() is called. */
  #whileOpen<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#closed.signal;
    return new Promise<T>((resolve, reject) => {
      const closed = () => reject(new EngineClosedError());
      if (signal.aborted) closed();
      signal.addEventListener('abort', closed, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', closed));
    });
  }

  async #close(): Promise<void> {
    const { connections, logger } = this.#ctx;
    const pass = this.#ctx.reconciler.stop();
    this.#ctx.handoffs.setSlots(0);
    // Resolves when the workers' running jobs ended (finished, or aborted below) and the
    // workers closed, the public calls under way (starts adding their jobs) ended, and a
    // periodic reconcile pass under way ended (it uses the connections closed below).
    const closing = Promise.all([this.#ctx.pool.close(), this.#ctx.admission.drained(), pass]).then(
      () => undefined,
    );
    if ((await within(settled(closing), this.#ctx.shutdownGraceMs)) === TIMED_OUT) {
      this.#ctx.closing.value = true;
      this.#ctx.runs.abortAll('shutdown');
    }
    // The rest only needs Redis: the aborted nodes' jobs go back to the queue, connections
    // close. Redis that does not answer in time (down, unreachable) is not waited for any
    // longer, so that close() ends — a job never handed back runs again after its lock
    // expires.
    const rest = this.#closeConnections(closing);
    if ((await within(settled(rest), CLOSE_REDIS_MS)) === TIMED_OUT) {
      logger.warn('Redis did not answer while closing; close() gave up waiting', {
        waitedMs: CLOSE_REDIS_MS,
      });
      this.#ctx.channel.disconnect();
      if (connections.ownsRedis) connections.redis.disconnect();
      // The workers' connection stays: BullMQ retries a failed hand-back at once, without
      // end, while its worker closes, so a dropped connection would spin a core. It keeps
      // reconnecting, hands the jobs back once Redis answers, and then quits.
    } else {
      await rest;
    }
    // A connection the caller owns keeps no listener of this engine.
    if (!connections.ownsRedis) connections.redis.off('error', connections.onRedisError);
  }

  /**
   * After the workers closed: an expiry on the keys of the queues no other engine serves,
   * then the channel, the queues and the connections.
   */
  async #closeConnections(workersClosed: Promise<void>): Promise<void> {
    const { redis, ownsRedis, workerConnection } = this.#ctx.connections;
    await workersClosed;
    // Only over a connection that is up, and not for long: it must not hold up the rest.
    if (redis.status === 'ready') {
      const queues = [...this.#ctx.queues.opened(), this.#ctx.controlQueue];
      const expiring = this.#ctx.idleKeys.expireUnserved(queues).catch((err: Error) => {
        this.#ctx.logger.warn("could not set the expiry of the queues' keys", {
          error: err.message,
        });
      });
      await within(expiring, EXPIRY_WAIT_MS);
    }
    await this.#ctx.channel.close();
    await this.#ctx.queues.close();
    await closeQueue(this.#ctx.controlQueue);
    await workerConnection.quit().catch(() => workerConnection.disconnect());
    if (ownsRedis) await redis.quit().catch(() => redis.disconnect());
  }
}
