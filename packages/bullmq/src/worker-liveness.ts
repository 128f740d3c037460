import { hostname } from 'node:os';
import type { WorkerFleet, WorkerInfo } from '@spane/core';
import type { Redis } from 'ioredis';
import { within } from './bounded-wait.js';
import type { EngineLogger } from './engine-options.js';
import { beatWorker } from './lua-scripts.js';
import { RedisScript } from './redis-script.js';

const BEAT = new RedisScript(beatWorker);

/** A heartbeat lives this many heartbeat intervals: two may be lost before it expires. */
const BEATS_PER_TTL = 3;

/** How long `stop` waits for Redis to remove the heartbeat (then it expires by itself). */
const REMOVE_WAIT_MS = 1_000;

/** What {@link WorkerHeartbeat} needs. */
export interface WorkerHeartbeatContext {
  /** The engine's command connection (not the workers': their commands may wait forever). */
  redis: Redis;
  /** The hash of heartbeats (see RedisKeys.workers). */
  key: string;
  /** This engine's worker id. */
  id: string;
  /** How often the heartbeat is published (ms). */
  intervalMs: number;
  logger: EngineLogger;
}

/**
 * This process's heartbeat: every `intervalMs` (and at once when it takes a job after
 * `intervalMs` without one, so the published fetch time is never older than an interval
 * than the real one) one Lua call writes its id, host, pid, busy and total slots of the
 * `nodes` queue's worker, when it last took a job and when it started, timed by the Redis
 * server, into one hash field that expires after three intervals. A call that fails is
 * logged (once per failure streak); one that hangs holds the next ones back (at most one
 * is in flight), and a lost reply is harmless: the next heartbeat overwrites the field.
 */
export class WorkerHeartbeat {
  readonly #ctx: WorkerHeartbeatContext;
  #timer: NodeJS.Timeout | undefined;
  #slots = 0;
  #busy = 0;
  #startedAt = 0;
  #fetchedAt: number | undefined;
  /** The fetch time the last heartbeat sent carried. */
  #sentFetchAt: number | undefined;
  /** The heartbeat call in flight, if any. */
  #pending: Promise<void> | undefined;
  #failing = false;

  constructor(ctx: WorkerHeartbeatContext) {
    this.#ctx = ctx;
  }

  /** Starts publishing for a worker of `slots` slots (once; later calls do nothing). */
  start(slots: number): void {
    if (this.#timer) return;
    this.#slots = slots;
    this.#startedAt = Date.now();
    this.#timer = setInterval(() => this.#publish(), this.#ctx.intervalMs);
    this.#timer.unref();
    this.#publish();
  }

  /** A job was taken: one more slot is busy. */
  began(): void {
    this.#busy += 1;
    const now = Date.now();
    this.#fetchedAt = now;
    const sent = this.#sentFetchAt ?? this.#startedAt;
    if (this.#timer && now - sent >= this.#ctx.intervalMs) this.#publish();
  }

  /** A job's run ended: its slot is free. */
  ended(): void {
    this.#busy = Math.max(0, this.#busy - 1);
  }

  /**
   * Stops publishing and removes the heartbeat, after the call in flight (which could
   * write it again) settled: waiting at most 1 s for each; a heartbeat left expires.
   */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    const { redis, key, id, logger } = this.#ctx;
    const started = Date.now();
    if (this.#pending) await within(this.#pending, REMOVE_WAIT_MS);
    const left = Math.max(1, REMOVE_WAIT_MS - (Date.now() - started));
    await within(redis.hdel(key, id), left).catch((err: Error) =>
      logger.warn('could not remove the worker heartbeat', { error: err.message }),
    );
  }

  #publish(): void {
    if (this.#pending) return;
    const { redis, key, id, intervalMs, logger } = this.#ctx;
    const now = Date.now();
    const fetchedAt = this.#fetchedAt;
    const fields = JSON.stringify({
      host: hostname(),
      pid: process.pid,
      busy: this.#busy,
      slots: this.#slots,
    });
    const args = [
      id,
      intervalMs * BEATS_PER_TTL,
      fetchedAt === undefined ? -1 : now - fetchedAt,
      now - this.#startedAt,
      fields,
    ];
    this.#sentFetchAt = fetchedAt;
    this.#pending = BEAT.run(redis, [key], args).then(
      () => {
        this.#pending = undefined;
        this.#failing = false;
      },
      (err: Error) => {
        this.#pending = undefined;
        if (this.#failing) return;
        this.#failing = true;
        logger.warn('could not publish the worker heartbeat', { error: err.message });
      },
    );
  }
}

/** One heartbeat as stored (times in Redis server ms). */
interface StoredBeat {
  host: string;
  pid: number;
  busy: number;
  slots: number;
  beatAt: number;
  expiresAt: number;
  fetchedAt?: number;
  startedAt: number;
}

/**
 * The live workers of a heartbeat hash: the heartbeats that have not expired, each judged
 * stuck when `readyJobs` (jobs waiting on the `nodes` queue) is above 0, the worker has a
 * free slot and it took no job (none since it started) for longer than `stuckAfterMs`.
 * Expired heartbeats (of processes that died without `close`) are removed on the way.
 * Two commands (TIME and HGETALL, in one transaction).
 */
export async function readWorkerFleet(
  redis: Pick<Redis, 'multi' | 'hdel'>,
  key: string,
  readyJobs: number,
  stuckAfterMs: number,
): Promise<WorkerFleet> {
  const replies = await redis.multi().time().hgetall(key).exec();
  const [timeReply, beatsReply] = replies ?? [];
  if (!timeReply || !beatsReply || timeReply[0] || beatsReply[0]) {
    throw timeReply?.[0] ?? beatsReply?.[0] ?? new Error('the worker heartbeats were not read');
  }
  const [seconds, micros] = timeReply[1] as [string, string];
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const list: WorkerInfo[] = [];
  const expired: string[] = [];
  for (const [id, text] of Object.entries(beatsReply[1] as Record<string, string>)) {
    const beat = parseBeat(text);
    if (!beat || beat.expiresAt <= now) {
      expired.push(id);
      continue;
    }
    const lastFetchAgeMs = beat.fetchedAt === undefined ? null : Math.max(0, now - beat.fetchedAt);
    const idleMs = lastFetchAgeMs ?? Math.max(0, now - beat.startedAt);
    list.push({
      id,
      host: beat.host,
      pid: beat.pid,
      busy: beat.busy,
      slots: beat.slots,
      lastFetchAgeMs,
      heartbeatAgeMs: Math.max(0, now - beat.beatAt),
      stuck: readyJobs > 0 && beat.busy < beat.slots && idleMs > stuckAfterMs,
    });
  }
  // Best effort: a heartbeat left behind is skipped by every reader anyway.
  if (expired.length > 0) redis.hdel(key, ...expired).catch(() => {});
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { live: list.length, stuck: list.filter((w) => w.stuck).length, list };
}

/** A stored heartbeat, or undefined for text that is not one. */
function parseBeat(text: string): StoredBeat | undefined {
  try {
    const beat = JSON.parse(text) as Partial<StoredBeat>;
    const numbers = [beat.pid, beat.busy, beat.slots, beat.beatAt, beat.expiresAt, beat.startedAt];
    if (typeof beat.host !== 'string' || numbers.some((n) => typeof n !== 'number')) {
      return undefined;
    }
    if (beat.fetchedAt !== undefined && typeof beat.fetchedAt !== 'number') return undefined;
    return beat as StoredBeat;
  } catch {
    return undefined;
  }
}
