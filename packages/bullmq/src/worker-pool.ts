import { InvalidArgumentError } from '@spane/core';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { settled, within } from './bounded-wait.js';
import {
  type ControlJobData,
  SCHEDULE_JOB,
  type ScheduleJobData,
  TIMEOUT_JOB,
  type TimeoutJobData,
} from './control-jobs.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import type { ExecutionControl } from './execution-control.js';
import type { Handoffs } from './handoffs.js';
import type { IdleQueueKeys } from './idle-queue-keys.js';
import type { JobLeases } from './job-leases.js';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { NodeRunner } from './node-runner.js';
import { CONTROL_QUEUE, NODE_QUEUE } from './redis-keys.js';
import { RedisStallWatch } from './redis-stall-watch.js';
import type { RetryPolicies } from './retry-policies.js';
import type { TriggerDispatch } from './trigger-dispatch.js';
import type { WorkerHeartbeat } from './worker-liveness.js';

/** What {@link WorkerPool} needs. */
export interface WorkerPoolContext {
  /** The workers' connection (BullMQ duplicates it for its blocking reads). */
  connection: Redis;
  options: Pick<
    ResolvedEngineOptions,
    | 'prefix'
    | 'lockDurationMs'
    | 'stalledIntervalMs'
    | 'maxStalledCount'
    | 'logger'
    | 'redisStallWarnMs'
  >;
  queues: Pick<NodeQueues, 'limitedTypes' | 'forType'>;
  runner: Pick<NodeRunner, 'process' | 'onJobGivenUp'>;
  retry: Pick<RetryPolicies, 'backoff'>;
  /** Told how many node-queue slots this process has. */
  handoffs: Pick<Handoffs, 'setSlots'>;
  /** Cancels an execution whose workflow `timeoutMs` passed. */
  control: Pick<ExecutionControl, 'workflowTimedOut'>;
  /** Starts what a schedule's firing starts. */
  triggers: Pick<TriggerDispatch, 'scheduleFired'>;
  /** Follows the node workers' lock renewals. */
  leases: Pick<JobLeases, 'watch'>;
  /** Names the workers; takes the expiry off their queues' keys when they connect. */
  idleKeys: Pick<IdleQueueKeys, 'workerName' | 'keep'>;
  /** Publishes the `nodes` worker's busy slots and last fetch (see WorkerHeartbeat). */
  heartbeat: Pick<WorkerHeartbeat, 'start' | 'began' | 'ended' | 'stop'>;
}

/**
 * This process's BullMQ workers: one on the node queue, one per node type with limits
 * (BullMQ applies a queue's global concurrency and rate limit across every process), and
 * the control worker (workflow timeouts, schedules); and, while they run, the watch that
 * logs a Redis that stops answering them and the heartbeat that tells other processes
 * this one is alive and taking jobs.
 */
export class WorkerPool {
  readonly #ctx: WorkerPoolContext;
  readonly #stallWatch: RedisStallWatch;
  #workers: Worker[] = [];
  #closing = false;
  /** Set while the store is down: the workers take no job (see {@link hold}). */
  #held = false;

  constructor(ctx: WorkerPoolContext) {
    this.#ctx = ctx;
    this.#stallWatch = new RedisStallWatch({
      redis: ctx.connection,
      logger: ctx.options.logger,
      thresholdMs: ctx.options.redisStallWarnMs,
    });
  }

  /** Refuses a start with a bad `concurrency`, or a second one. @throws InvalidArgumentError */
  checkStart(concurrency: number): void {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError('concurrency must be a positive integer');
    }
    if (this.#workers.length > 0) throw new InvalidArgumentError('workers are already started');
  }

  /**
   * Sets the limited types' queue limits, then creates the workers: `concurrency` node runs
   * at once, plus the control worker — none when close() was called meanwhile.
   */
  async start(concurrency: number): Promise<void> {
    const limited = this.#ctx.queues.limitedTypes();
    for (const reg of limited) {
      const queue = this.#ctx.queues.forType(reg.type);
      const { rateLimit, concurrency: typeConcurrency } = reg.options;
      if (typeConcurrency !== undefined) await queue.setGlobalConcurrency(typeConcurrency);
      else await queue.removeGlobalConcurrency();
      if (rateLimit !== undefined) {
        await queue.setGlobalRateLimit(rateLimit.max, rateLimit.durationMs);
      } else await queue.removeGlobalRateLimit();
    }
    // A worker made after close() began would never be closed.
    if (this.#closing) return;
    this.#ctx.handoffs.setSlots(concurrency);
    const workers = [this.#nodeWorker(NODE_QUEUE, concurrency, undefined, true)];
    for (const reg of limited) {
      const { rateLimit, concurrency: typeConcurrency } = reg.options;
      workers.push(
        this.#nodeWorker(
          this.#ctx.queues.forType(reg.type).name,
          Math.min(concurrency, typeConcurrency ?? concurrency),
          rateLimit && { max: rateLimit.max, duration: rateLimit.durationMs },
        ),
      );
    }
    this.#workers = [...workers, this.#controlWorker()];
    this.#stallWatch.start();
    this.#ctx.heartbeat.start(concurrency);
    if (this.#held) this.hold(true);
  }

  /**
   * Stops (`true`) or resumes (`false`) taking jobs, e.g. while the store is down: a job
   * taken then could not be recorded. Running jobs go on; a hold set before the workers
   * start applies to them when they do.
   */
  hold(held: boolean): void {
    this.#held = held;
    if (this.#closing) return;
    const { logger } = this.#ctx.options;
    for (const worker of this.#workers) {
      if (!held) worker.resume();
      else
        worker.pause(true).catch((err: Error) => {
          logger.warn('could not pause a worker', { queue: worker.name, error: err.message });
        });
    }
  }

  /** Whether the workers are held (see {@link hold}). */
  get held(): boolean {
    return this.#held;
  }

  /** Resolves when every worker is connected. */
  async ready(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
  }

  /** Whether the workers run (null when none were started). */
  health(): boolean | null {
    if (this.#workers.length === 0) return null;
    // Held for a store outage, a paused BullMQ worker stops its loop (isRunning false) at
    // a time of its own: that is the store's outage, which health names, not the workers'.
    if (this.#closing) return false;
    return this.#held || this.#workers.every((w) => w.isRunning());
  }

  /** Stops taking jobs; resolves when the workers' running jobs ended and they closed. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stallWatch.stop();
    // A closing process takes no more jobs: it leaves the live workers at once.
    await Promise.all([this.#ctx.heartbeat.stop(), ...this.#workers.map(closeWorker)]);
  }

  /** A node queue's worker; `beats`: its runs are counted by the heartbeat. */
  #nodeWorker(
    queueName: string,
    concurrency: number,
    limiter?: { max: number; duration: number },
    beats = false,
  ): Worker<NodeJobData> {
    const { options, runner, retry, heartbeat } = this.#ctx;
    const run = async (job: Job<NodeJobData>, token?: string) => {
      await this.#handBackWhileHeld(job, token);
      return runner.process(job, token);
    };
    const counted = async (job: Job<NodeJobData>, token?: string) => {
      heartbeat.began();
      try {
        return await run(job, token);
      } finally {
        heartbeat.ended();
      }
    };
    const worker = new Worker<NodeJobData>(queueName, beats ? counted : run, {
      connection: this.#ctx.connection,
      prefix: options.prefix,
      concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      name: this.#ctx.idleKeys.workerName,
      ...(limiter === undefined ? {} : { limiter }),
      settings: {
        backoffStrategy: (attemptsMade, _type, _err, job) =>
          retry.backoff(attemptsMade, job as Job | undefined),
      },
    });
    worker.on('failed', (job, err) => {
      if (job) void runner.onJobGivenUp(job, err);
    });
    this.#ctx.leases.watch(worker);
    this.#keepKeys(worker);
    return worker;
  }

  #controlWorker(): Worker<ControlJobData> {
    const { control, triggers, options } = this.#ctx;
    const worker = new Worker<ControlJobData>(
      CONTROL_QUEUE,
      async (job, token) => {
        await this.#handBackWhileHeld(job, token);
        if (job.name === TIMEOUT_JOB) {
          await control.workflowTimedOut((job.data as TimeoutJobData).executionId);
        } else if (job.name === SCHEDULE_JOB) {
          await triggers.scheduleFired(job as Job<ScheduleJobData>);
        }
      },
      {
        connection: this.#ctx.connection,
        prefix: options.prefix,
        concurrency: 5,
        name: this.#ctx.idleKeys.workerName,
      },
    );
    this.#keepKeys(worker);
    return worker;
  }

  /**
   * While the workers are held, a job a worker took anyway (a paused BullMQ worker still
   * finishes the fetch it was blocked in) goes back to the queue, delayed by
   * {@link HELD_JOB_DELAY_MS}, its attempts untouched: BullMQ's `DelayedError`. When Redis
   * does not take it back, it stays active and runs again once its lock expires.
   */
  async #handBackWhileHeld(job: Job, token: string | undefined): Promise<void> {
    if (!this.#held) return;
    await job.moveToDelayed(Date.now() + HELD_JOB_DELAY_MS, token).catch((err: Error) => {
      this.#ctx.options.logger.warn('could not hand a job back while the store is down', {
        jobId: job.id,
        error: err.message,
      });
    });
    throw new DelayedError();
  }

  /**
   * Logs the worker's errors, and takes the expiry a closing engine may have put on its
   * queue's keys off them each time the worker's connection is up (see IdleQueueKeys).
   */
  #keepKeys(worker: Worker): void {
    const { logger } = this.#ctx.options;
    worker.on('error', (err) => logger.warn('worker error', { error: err.message }));
    worker.on('ready', () => {
      this.#ctx.idleKeys.keep(worker).catch((err: Error) => {
        logger.warn("could not keep a queue's keys", { queue: worker.name, error: err.message });
      });
    });
  }
}

/** How long a job taken while the workers are held waits before it is offered again. */
const HELD_JOB_DELAY_MS = 1_000;

/** How long a closing worker waits for its connections' set-up to settle (see closeWorker). */
const SETUP_WAIT_MS = 2_000;

/**
 * Closes a worker once its connections' set-up (`waitUntilReady`) settled, or after
 * SETUP_WAIT_MS. BullMQ removes a connection's listeners when it closes, also while its
 * set-up is in flight; the set-up's failure that follows (the connection was dropped) is
 * then emitted with no listener — an unhandled rejection that ends the process.
 */
async function closeWorker(worker: Worker): Promise<void> {
  await within(settled(worker.waitUntilReady()), SETUP_WAIT_MS);
  await worker.close();
}
