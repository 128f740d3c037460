/** The outside parts an engine needs: Redis (queues, events) and the execution store. */
export type DependencyName = 'redis' | 'store';

/** Which dependencies answer now (`true`: up). */
export interface DependencyStatus {
  /** Redis answered its last ping in time. */
  redis: boolean;
  /** The store answered its last `ping` in time. */
  store: boolean;
}

/**
 * What a front end reads of an engine's dependency monitor: the state of Redis and the
 * store, kept by periodic pings with a short timeout and by connection events, so that a
 * request can be refused at once while a part it needs is down instead of waiting on it.
 */
export interface DependencyWatch {
  /** The state now (no I/O). */
  status(): DependencyStatus;
  /** Calls `listener` on every change of state; returns a function that removes it. */
  onChange(listener: (name: DependencyName, up: boolean) => void): () => void;
  /** Seconds a caller should wait before trying again while a part is down. */
  readonly retryAfterSeconds: number;
  /**
   * A fresh verdict on `names`: resolves at once with the state now when each part answered
   * a ping recently (or is known down); otherwise pings the stale parts (one ping per part,
   * shared by every caller meanwhile) and waits at most `maxWaitMs` (default: the
   * watch's own) for their answers. A part that does not answer in time reads as down
   * (suspect) until a ping of it succeeds. With `answeredSince` (ms since the epoch), an
   * answer older than that is stale too (a request that runs long asks whether the parts
   * still answer since it began). Optional: a watch without it is read with `status()` alone.
   */
  ensureFresh?(
    names: readonly DependencyName[],
    maxWaitMs?: number,
    answeredSince?: number,
  ): Promise<DependencyStatus>;
}

/** Node error codes of a connection that failed, was refused, reset or timed out. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** Messages of ioredis and node-postgres for a connection that is gone or never came. */
const CONNECTION_MESSAGES = [
  'Connection is closed',
  'Stream isn\u2019t writeable',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Connection terminated',
  'connection timeout',
  'Connection ended',
  'the database system is shutting down',
  'the database system is starting up',
  'terminating connection due to administrator command',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
];

/**
 * True when `error` (or one of its causes) says that a connection to Redis or a database
 * failed, rather than that the call was wrong: Node's connection error codes, PostgreSQL's
 * class 08 (connection exception) and 57P0x (shutdown) SQLSTATEs, and the messages ioredis
 * and node-postgres use for a closed connection or exhausted retries.
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  if (typeof e.code === 'string') {
    if (CONNECTION_CODES.has(e.code) || e.code.startsWith('08') || e.code.startsWith('57P0')) {
      return true;
    }
  }
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (
    typeof e.message === 'string' &&
    CONNECTION_MESSAGES.some((m) => e.message === m || (e.message as string).includes(m))
  ) {
    return true;
  }
  return isConnectionError(e.cause, depth + 1);
}
