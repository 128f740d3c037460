import type {
  DependencyName,
  DependencyStatus,
  DependencyWatch,
  ExecutionStore,
} from '@spane/core';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';

/** What {@link DependencyMonitor} needs. */
export interface DependencyMonitorContext {
  /** The engine's command connection: pinged, and its `close`/`ready` events followed. */
  redis: Pick<Redis, 'ping' | 'on' | 'off'>;
  store: Pick<ExecutionStore, 'ping'>;
  logger: EngineLogger;
  /** Ping period (0: no monitor; both parts always count as up). */
  intervalMs: number;
  /** A ping unanswered this long marks its part down. */
  timeoutMs: number;
  /** `ensureFresh` passes a part at once when its last successful ping is younger than this. */
  freshMs: number;
  /** How long `ensureFresh` waits for a ping it started before it calls the part suspect. */
  waitMs: number;
}

const NAMES: readonly DependencyName[] = ['redis', 'store'];

/**
 * Keeps whether Redis and the store answer, one per engine process. Each part is pinged
 * every `intervalMs` (no new ping while one is pending); a ping that fails or is not
 * answered within `timeoutMs` marks the part down, any answer (also a late one) marks it
 * up. The Redis connection's `close` event marks Redis down at once (a stopped server is
 * known before the next ping) and its `ready` event pings at once. One warning is logged
 * when a part goes down and one when it is back; listeners hear every change.
 *
 * {@link DependencyMonitor.ensureFresh} gives a request a fresh verdict: a part whose last
 * successful ping is younger than `freshMs` passes at once; otherwise one ping is started
 * (or the pending one joined) and awaited for at most `waitMs`; a part that does not answer
 * in time is *suspect*: `status()` reads it as down until a ping of it succeeds, without a
 * log line or a change event (the ping's own timeout still decides those).
 */
export class DependencyMonitor implements DependencyWatch {
  readonly #ctx: DependencyMonitorContext;
  readonly #up: DependencyStatus = { redis: true, store: true };
  readonly #pending: Record<DependencyName, boolean> = { redis: false, store: false };
  readonly #downSince: Record<DependencyName, number> = { redis: 0, store: 0 };
  readonly #lastOk: Record<DependencyName, number> = { redis: 0, store: 0 };
  readonly #suspect: Record<DependencyName, boolean> = { redis: false, store: false };
  /** The pending ping of each part: resolves true on an answer, false on a failure. */
  readonly #inflight: Record<DependencyName, Promise<boolean> | undefined> = {
    redis: undefined,
    store: undefined,
  };
  #pings = 0;
  readonly #listeners = new Set<(name: DependencyName, up: boolean) => void>();
  #timer: NodeJS.Timeout | undefined;
  readonly #onClose = (): void => this.#set('redis', false, 'connection closed');
  readonly #onReady = (): void => this.check('redis');

  constructor(ctx: DependencyMonitorContext) {
    this.#ctx = ctx;
  }

  /** Seconds to wait before a retry while a part is down: one ping period, at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.#ctx.intervalMs / 1000));
  }

  /** Starts pinging (once; does nothing when `intervalMs` is 0). */
  start(): void {
    if (this.#ctx.intervalMs === 0 || this.#timer) return;
    this.#ctx.redis.on('close', this.#onClose);
    this.#ctx.redis.on('ready', this.#onReady);
    this.#timer = setInterval(() => {
      for (const name of NAMES) this.check(name);
    }, this.#ctx.intervalMs);
    this.#timer.unref();
  }

  /** Stops pinging and following the connection (before the engine closes it). */
  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ctx.redis.off('close', this.#onClose);
    this.#ctx.redis.off('ready', this.#onReady);
  }

  /** Pings sent since the monitor was made (periodic, on `ready`, and by `ensureFresh`). */
  get pings(): number {
    return this.#pings;
  }

  /** The state now: a part is up when its last ping was answered and it is not suspect. */
  status(): DependencyStatus {
    return {
      redis: this.#up.redis && !this.#suspect.redis,
      store: this.#up.store && !this.#suspect.store,
    };
  }

  /**
   * A fresh verdict on `names` (see the class): at once while each is down, suspect or
   * answered a ping within `freshMs` (and, with `answeredSince`, not before that time);
   * otherwise after the shared ping of the stale ones answers, or `maxWaitMs` (default
   * `waitMs`) passes, which makes them suspect.
   */
  async ensureFresh(
    names: readonly DependencyName[],
    maxWaitMs = this.#ctx.waitMs,
    answeredSince = 0,
  ): Promise<DependencyStatus> {
    if (!this.#timer) return this.status();
    const now = Date.now();
    const stale = names.filter((name) => {
      if (!this.#up[name] || this.#suspect[name]) return false;
      const last = this.#lastOk[name];
      return now - last >= this.#ctx.freshMs || last < answeredSince;
    });
    if (stale.length === 0) return this.status();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      // Late only after the I/O that arrived meanwhile was read (setImmediate runs after
      // the poll phase): an event loop that was busy must not turn a PONG into a suspect.
      timer = setTimeout(() => setImmediate(() => resolve('late')), maxWaitMs);
    });
    try {
      await Promise.all(
        stale.map(async (name) => {
          this.check(name);
          const ping = this.#inflight[name];
          if (!ping) return;
          if ((await Promise.race([ping, late])) === 'late') this.#suspect[name] = true;
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    return this.status();
  }

  onChange(listener: (name: DependencyName, up: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pings `name` now, unless a ping of it is pending or the monitor is stopped. */
  check(name: DependencyName): void {
    if (this.#pending[name] || !this.#timer) return;
    this.#pending[name] = true;
    this.#pings += 1;
    const { timeoutMs } = this.#ctx;
    // As in ensureFresh: judged after the I/O that arrived meanwhile was read.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (this.#pending[name]) this.#set(name, false, `no answer within ${timeoutMs} ms`);
        }),
      timeoutMs,
    );
    timer.unref();
    let ping: Promise<unknown>;
    try {
      ping = Promise.resolve(name === 'redis' ? this.#ctx.redis.ping() : this.#ctx.store.ping());
    } catch (err) {
      ping = Promise.reject(err);
    }
    this.#inflight[name] = ping.then(
      () => {
        clearTimeout(timer);
        this.#pending[name] = false;
        this.#inflight[name] = undefined;
        this.#lastOk[name] = Date.now();
        this.#suspect[name] = false;
        this.#set(name, true);
        return true;
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.#pending[name] = false;
        this.#inflight[name] = undefined;
        this.#set(name, false, err instanceof Error ? err.message : String(err));
        return false;
      },
    );
  }

  #set(name: DependencyName, up: boolean, reason?: string): void {
    if (!this.#timer || this.#up[name] === up) return;
    this.#up[name] = up;
    const { logger } = this.#ctx;
    if (up) {
      const downMs = Date.now() - this.#downSince[name];
      logger.warn(`${name} is back after ${downMs} ms`, { dependency: name, downMs });
    } else {
      this.#downSince[name] = Date.now();
      logger.warn(`${name} is down: ${reason}`, { dependency: name, reason });
    }
    for (const listener of this.#listeners) {
      try {
        listener(name, up);
      } catch (err) {
        logger.error('a dependency listener threw', { error: (err as Error).message });
      }
    }
  }
}
