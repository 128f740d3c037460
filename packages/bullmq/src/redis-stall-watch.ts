import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';

/** What {@link RedisStallWatch} needs. */
export interface RedisStallWatchContext {
  /** The connection watched (the workers': lock renewals go over it). */
  redis: Pick<Redis, 'ping'>;
  logger: EngineLogger;
  /** A ping unanswered this long is a stall (0: no watch). */
  thresholdMs: number;
}

/**
 * Says when Redis stops answering and when it answers again. A Redis that is paused, or a
 * network that holds packets, fails no command — commands just wait, running nodes lose
 * their locks — so without this nothing would be logged. A ping goes out every half
 * threshold while none is pending; when no ping was answered for `thresholdMs` a warning is
 * logged (once per stall), and the answer that ends a stall logs how long it lasted. Failed
 * pings (connection refused) count as unanswered; the connection's errors are logged
 * elsewhere. An event loop blocked by other code does not count: the check runs after the
 * replies that arrived meanwhile were read.
 */
export class RedisStallWatch {
  readonly #ctx: RedisStallWatchContext;
  #timer: NodeJS.Timeout | undefined;
  #pending = false;
  /** When a ping was last answered (epoch ms; the start counts as one). */
  #lastAnswer = 0;
  /** Whether the current stall was logged. */
  #warned = false;

  constructor(ctx: RedisStallWatchContext) {
    this.#ctx = ctx;
  }

  /** Starts watching (once; later calls do nothing). */
  start(): void {
    const { thresholdMs } = this.#ctx;
    if (thresholdMs === 0 || this.#timer) return;
    this.#lastAnswer = Date.now();
    this.#timer = setInterval(() => this.#tick(), Math.max(10, Math.floor(thresholdMs / 2)));
    this.#timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (!this.#pending) this.#ping();
    if (this.#warned || Date.now() - this.#lastAnswer < this.#ctx.thresholdMs) return;
    // Timers run before I/O: read what arrived (a late tick) before calling it a stall.
    setImmediate(() => {
      const silentMs = Date.now() - this.#lastAnswer;
      if (this.#warned || !this.#timer || silentMs < this.#ctx.thresholdMs) return;
      this.#warned = true;
      this.#ctx.logger.warn(`redis has not answered for ${silentMs} ms`, {
        thresholdMs: this.#ctx.thresholdMs,
      });
    });
  }

  #ping(): void {
    this.#pending = true;
    this.#ctx.redis.ping().then(
      () => {
        this.#pending = false;
        const now = Date.now();
        const stalledMs = now - this.#lastAnswer;
        this.#lastAnswer = now;
        if (!this.#warned) return;
        this.#warned = false;
        this.#ctx.logger.warn(`redis answers again after ${stalledMs} ms`, { stalledMs });
      },
      () => {
        this.#pending = false;
      },
    );
  }
}
