import { type EngineFaultCounts, isSpaneError } from '@spane/core';
import type { EngineLogger } from './engine-options.js';

/** Ends a wait for a call that may never answer (a stopped database, a stalled Redis). */
const CALL_TIMEOUT_MS = 30_000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

/** When a retrying run stops: its job's lock is gone, or the engine is closing. */
export interface RetryWhile {
  /** True once the caller no longer holds what it retries for (e.g. its job's lock). */
  readonly lost: boolean;
}

/**
 * A store or Redis call that failed (or did not answer) for longer than the engine's
 * `infraRetryMs`, or while its run lost its lock or the engine closed. Not the executor's
 * failure: the node's job is left to be run again, its retry budget untouched.
 */
export class InfrastructureError extends Error {
  /** The last error of the call. */
  override readonly cause: unknown;

  constructor(what: string, cause: unknown, reason: string) {
    super(`${what} failed (${reason}): ${errorText(cause)}`);
    this.name = 'InfrastructureError';
    this.cause = cause;
  }
}

/** A call that did not answer within {@link CALL_TIMEOUT_MS}. */
class CallTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** What {@link InfraRetry} needs. */
export interface InfraRetryContext {
  logger: EngineLogger;
  /** The longest a call is retried (the engine's `infraRetryMs`). */
  limitMs: number;
  /** True once the engine is closing: retries stop. */
  closing(): boolean;
  /** Counts each retry (`infraRetries`). */
  faults: EngineFaultCounts;
  /** How long one call may go unanswered before it counts as failed (tests shorten it). @defaultValue 30_000 */
  callTimeoutMs?: number;
}

/**
 * Retries store and Redis calls of node runs that fail for infrastructure reasons (a lost
 * connection, a restarted database, no answer), with a capped exponential backoff, a log
 * line when they start and stop failing, and a count for metrics. SPANE's own typed errors
 * (a missing execution, an invalid transition…) are answers, not failures: they are thrown
 * at once. The calls retried must be safe to repeat (run tokens make begins and
 * completions so). Each retry is counted in the engine's fault counts.
 */
export class InfraRetry {
  readonly #ctx: InfraRetryContext;

  constructor(ctx: InfraRetryContext) {
    this.#ctx = ctx;
  }

  /**
   * Runs `op` until it answers, retrying infrastructure errors while `until` holds, the
   * engine is open and `limitMs` has not passed.
   * @throws the op's SPANE error at once | InfrastructureError when retrying stopped
   */
  run<T>(what: string, op: () => Promise<T>, until?: RetryWhile): Promise<T> {
    const started = Date.now();
    // The first try without an async frame of its own: most calls answer at once.
    return answerWithin(op, this.#timeoutMs).catch((error: unknown) =>
      this.#retry(what, op, until, started, error),
    );
  }

  get #timeoutMs(): number {
    return this.#ctx.callTimeoutMs ?? CALL_TIMEOUT_MS;
  }

  /** After the first try failed with `error`: the retries. */
  async #retry<T>(
    what: string,
    op: () => Promise<T>,
    until: RetryWhile | undefined,
    started: number,
    first: unknown,
  ): Promise<T> {
    let delay = FIRST_DELAY_MS;
    let failures = 0;
    let error = first;
    for (;;) {
      if (isSpaneError(error)) throw error;
      failures += 1;
      this.#ctx.faults.infraRetries += 1;
      const reason = until?.lost
        ? 'the run lost its lock'
        : this.#ctx.closing()
          ? 'the engine is closing'
          : Date.now() - started + delay > this.#ctx.limitMs
            ? `still failing after ${Date.now() - started} ms`
            : undefined;
      if (reason) throw new InfrastructureError(what, error, reason);
      if (failures === 1 || failures % 20 === 0) {
        this.#ctx.logger.warn(`${what} failed; retrying (infrastructure error)`, {
          error: errorText(error),
          failures,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
      try {
        const value = await answerWithin(op, this.#timeoutMs);
        this.#ctx.logger.warn(`${what} succeeded again`, {
          failures,
          afterMs: Date.now() - started,
        });
        return value;
      } catch (next) {
        error = next;
      }
    }
  }
}

/** A call waiting for its answer, and when it stops waiting. */
interface PendingCall {
  timeoutMs: number;
  deadline: number;
  reject(error: Error): void;
}

/** How often the calls still waiting are checked against their deadline. */
const SWEEP_MS = 1_000;

/**
 * The calls of every run that wait for an answer, checked against their deadline by one
 * timer (a call costs an entry in a set, not a timer of its own: there are several per node
 * run). A call is given up up to SWEEP_MS after its deadline.
 */
const pending = new Set<PendingCall>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const call of pending) {
    if (call.deadline > now) continue;
    pending.delete(call);
    call.reject(new CallTimeoutError(call.timeoutMs));
  }
  if (pending.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** `op()`, or a CallTimeoutError when it has not answered within `timeoutMs`. */
function answerWithin<T>(op: () => Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call: PendingCall = { timeoutMs, deadline: Date.now() + timeoutMs, reject };
    pending.add(call);
    if (!sweeper) {
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    }
    const settle = () => pending.delete(call);
    let answer: Promise<T>;
    try {
      answer = op();
    } catch (error) {
      settle();
      reject(error);
      return;
    }
    answer.then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error: unknown) => {
        if (settle()) reject(error);
      },
    );
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
