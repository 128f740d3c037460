import { randomUUID } from 'node:crypto';
import type {
  BreakerOptions,
  BreakerState,
  BreakerStatus,
  NodeRegistry,
  NodeTypeRegistration,
} from '@spane/core';
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { executorRegistration } from './built-in-nodes.js';
import type { EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import { InfrastructureError } from './infra-retry.js';
import { breakerAdmit, breakerRecord } from './lua-scripts.js';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** src/lua/breaker-admit-2.lua */
const ADMIT = new RedisScript(breakerAdmit);

/** src/lua/breaker-record-2.lua */
const RECORD = new RedisScript(breakerRecord);

/** The window is counted in this many buckets (its oldest bucket may be partly outside it). */
const BUCKETS_PER_WINDOW = 10;

/** A probe whose type sets no timeout reports within this long, or the next run probes. */
const DEFAULT_PROBE_LEASE_MS = 60_000;

/** How a run a breaker admitted ended: `none` when it gave no verdict (aborted, handed back). */
export type BreakerVerdict = 'success' | 'failure' | 'none';

/** A run admitted past its type's breaker: tell it the verdict, then finish it once. */
export interface BreakerTicket {
  /** True when this run is the half-open breaker's probe. */
  readonly probe: boolean;
  /** Notes how the run ended (the last call wins); `finish` reports it. */
  judge(verdict: BreakerVerdict): void;
  /** Reports the verdict (`none` unless judged) to the breaker; never throws. */
  finish(): Promise<void>;
}

/** What {@link CircuitBreakers} needs. */
export interface CircuitBreakersContext {
  redis: Redis;
  keys: Pick<RedisKeys, 'breaker' | 'concurrencyMember' | 'concurrencyJob'>;
  queues: Pick<NodeQueues, 'get'>;
  registry: Pick<NodeRegistry, 'has' | 'getRegistration' | 'types'>;
  events: Pick<EngineEvents, 'emit'>;
  logger: EngineLogger;
}

/**
 * The circuit breakers of node types registered with a `breaker`, shared by every engine
 * process of the prefix through one Redis hash per type (state, the open deadline, the
 * probe's token, and the window's runs and failures in time buckets).
 *
 * A run asks `admit` before its attempt begins (one script): closed, it runs; open (or
 * half-open while a probe runs), its job moves to BullMQ's delayed set until the breaker's
 * next probe time, holding no worker slot and using no attempt, and is noted among the
 * breaker's waiting jobs; open past `openMs`, the one run that asks first becomes the
 * probe (half-open). Its end is recorded (one script): the probe's success closes the
 * breaker and wakes the waiting jobs, its failure opens it again; while closed, the run
 * is counted and the breaker opens when the window's failure rate reaches `failureRate`
 * over at least `minimumRuns` runs. Each change is a `breaker:changed` event.
 *
 * Lost wake-ups: a job noted as waiting just after the probe closed the breaker looks
 * again once delayed and promotes itself. A probe that never reports (its process died)
 * is replaced once its lease (the type's `timeoutMs`, else 60 s, at least `openMs`) ends.
 */
export class CircuitBreakers {
  readonly #ctx: CircuitBreakersContext;

  constructor(ctx: CircuitBreakersContext) {
    this.#ctx = ctx;
  }

  /**
   * Lets a run of `nodeType` go on (a ticket, or undefined when the type has no breaker in
   * this process), or delays its job until the breaker's next probe time (throwing
   * BullMQ's `DelayedError`, as a processor must after moving its job).
   * @throws InfrastructureError when Redis does not answer (the job goes back to the queue).
   */
  async admit(
    nodeType: string,
    job: Job<NodeJobData>,
    token: string | undefined,
  ): Promise<BreakerTicket | undefined> {
    const registration = this.#registration(nodeType);
    const options = registration?.options.breaker;
    if (!registration || !options) return undefined;
    const keys = this.#ctx.keys.breaker(nodeType);
    const member = this.#ctx.keys.concurrencyMember(job.queueName, job.id);
    const runToken = randomUUID();
    const lease = Math.max(
      options.openMs,
      registration.options.timeoutMs ?? DEFAULT_PROBE_LEASE_MS,
    );
    let reply: [number, number?, string?];
    try {
      reply = (await ADMIT.run(
        this.#ctx.redis,
        [keys.state, keys.waiting],
        [Date.now(), runToken, lease, member],
      )) as [number, number?, string?];
    } catch (error) {
      throw new InfrastructureError(`circuit breaker of '${nodeType}'`, error, 'Redis failed');
    }
    const [kind, until] = reply;
    if (kind === 0) return this.#ticket(nodeType, options, runToken, false);
    if (kind === 1) {
      this.#changed(nodeType, 'half-open', until);
      return this.#ticket(nodeType, options, runToken, true);
    }
    await job.moveToDelayed(until!, token);
    // The probe may have closed the breaker (waking the jobs noted then) before this job
    // was delayed: look again now that it is.
    const state = await this.#ctx.redis.hget(keys.state, 'state').catch(() => 'open');
    if (state === null) await job.promote().catch(() => {});
    throw new DelayedError();
  }

  /** The state of the breaker of each type registered with one in this process. */
  async states(): Promise<Record<string, BreakerStatus>> {
    const out: Record<string, BreakerStatus> = {};
    for (const type of this.#ctx.registry.types()) {
      if (!this.#registration(type)?.options.breaker) continue;
      const [state, until] = await this.#ctx.redis.hmget(
        this.#ctx.keys.breaker(type).state,
        'state',
        'until',
      );
      out[type] =
        state === 'open' || state === 'half-open'
          ? { state, opensUntil: new Date(Number(until)).toISOString() }
          : { state: 'closed' };
    }
    return out;
  }

  /** The registration of a type this process runs with its executor (not `delay` nor `sub-workflow`). */
  #registration(nodeType: string): NodeTypeRegistration | undefined {
    return executorRegistration(this.#ctx.registry, nodeType);
  }

  #ticket(nodeType: string, options: BreakerOptions, runToken: string, probe: boolean) {
    let verdict: BreakerVerdict = 'none';
    let finished = false;
    const ticket: BreakerTicket = {
      probe,
      judge: (v) => {
        verdict = v;
      },
      finish: async () => {
        if (finished) return;
        finished = true;
        await this.#record(nodeType, options, runToken, verdict).catch((error: Error) =>
          this.#ctx.logger.warn(`could not record a run in the circuit breaker of '${nodeType}'`, {
            error: error.message,
          }),
        );
      },
    };
    return ticket;
  }

  async #record(
    nodeType: string,
    options: BreakerOptions,
    runToken: string,
    verdict: BreakerVerdict,
  ): Promise<void> {
    // A closed breaker without a verdict has nothing to count.
    const outcome = verdict === 'success' ? 1 : verdict === 'failure' ? 0 : -1;
    const keys = this.#ctx.keys.breaker(nodeType);
    const width = Math.max(1, Math.ceil(options.windowMs / BUCKETS_PER_WINDOW));
    const [state, changed, until, ...woken] = (await RECORD.run(
      this.#ctx.redis,
      [keys.state, keys.waiting],
      [
        Date.now(),
        runToken,
        outcome,
        options.failureRate,
        options.minimumRuns,
        options.windowMs,
        options.openMs,
        width,
      ],
    )) as [BreakerState, number, number, ...string[]];
    if (changed !== 1) return;
    this.#changed(nodeType, state, state === 'open' ? until : undefined);
    await Promise.all(woken.map((member) => this.#wake(member)));
  }

  /** Promotes a job the breaker delayed (gone or running already: nothing to do). */
  async #wake(member: string): Promise<void> {
    const { queueName, jobId } = this.#ctx.keys.concurrencyJob(member);
    const job = await this.#ctx.queues
      .get(queueName)
      .getJob(jobId)
      .catch(() => undefined);
    if (job && (await job.isDelayed().catch(() => false))) await job.promote().catch(() => {});
  }

  #changed(nodeType: string, state: BreakerState, until: number | undefined): void {
    const opensUntil = until === undefined ? undefined : new Date(until).toISOString();
    const level = state === 'closed' ? 'info' : 'warn';
    this.#ctx.logger[level](`circuit breaker of node type '${nodeType}' is ${state}`, {
      ...(opensUntil === undefined ? {} : { opensUntil }),
    });
    this.#ctx.events.emit('breaker:changed', {
      eventId: randomUUID(),
      nodeType,
      state,
      ...(opensUntil === undefined ? {} : { opensUntil }),
      timestamp: new Date().toISOString(),
    });
  }
}
