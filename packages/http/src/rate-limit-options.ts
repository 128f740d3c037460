import { InvalidArgumentError } from '@spane/core';

/** At most `max` requests per `windowMs` (a fixed window that starts with the first request). */
export interface RateLimitWindow {
  /** Requests allowed in one window (1 or more). */
  max: number;
  /** Length of the window in milliseconds (1 or more). */
  windowMs: number;
}

/**
 * What the limiter needs of a Redis client: `eval` of a script and the connection
 * `status`. An ioredis `Redis` (or `Cluster`) client has both.
 */
export interface RateLimitRedis {
  /** ioredis connection status; commands are sent only while it is `ready` (or `wait`, lazy). */
  readonly status: string;
  /** Runs a Lua script (`EVAL script numKeys ...keysAndArgs`). */
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of the API's rate limits (`SpaneHttpOptions.rateLimit`). */
export interface SpaneRateLimitOptions {
  /**
   * Where counters live, so every API process shares them. Without it each process
   * counts on its own (an API behind N processes then allows N times the limits).
   */
  redis?: RateLimitRedis;
  /** Prefix of the counters' Redis keys. @defaultValue `'spane:ratelimit:'` */
  prefix?: string;
  /** Requests of one API key (authenticated requests). @defaultValue 1200 per 60 s */
  perKey?: RateLimitWindow;
  /** Requests from one IP to routes without an API key (webhooks, docs, 404s). @defaultValue 600 per 60 s */
  perIp?: RateLimitWindow;
  /**
   * Failed authentications (401) from one IP; past it, every request from that IP answers
   * 429 until the window ends, before its key is checked. @defaultValue 30 per 300 s
   */
  failedAuth?: RateLimitWindow;
  /**
   * Longest wait for Redis per check; past it (or with Redis down) the request goes on
   * unlimited and a warning is logged: the limiter never blocks or fails the API. @defaultValue 150
   */
  redisTimeoutMs?: number;
}

/** {@link SpaneRateLimitOptions} with every default filled in. */
export interface ResolvedRateLimit {
  redis: RateLimitRedis | undefined;
  prefix: string;
  perKey: RateLimitWindow;
  perIp: RateLimitWindow;
  failedAuth: RateLimitWindow;
  redisTimeoutMs: number;
}

/** Default of `SpaneRateLimitOptions.perKey`: 1,200 requests a minute (20/s) per API key. */
export const DEFAULT_RATE_LIMIT_PER_KEY: Readonly<RateLimitWindow> = Object.freeze({
  max: 1200,
  windowMs: 60_000,
});
/** Default of `SpaneRateLimitOptions.perIp`: 600 requests a minute per IP without a key. */
export const DEFAULT_RATE_LIMIT_PER_IP: Readonly<RateLimitWindow> = Object.freeze({
  max: 600,
  windowMs: 60_000,
});
/** Default of `SpaneRateLimitOptions.failedAuth`: 30 failed authentications per IP in 5 minutes. */
export const DEFAULT_RATE_LIMIT_FAILED_AUTH: Readonly<RateLimitWindow> = Object.freeze({
  max: 30,
  windowMs: 300_000,
});

const MAX_WINDOW_MS = 24 * 3600 * 1000;

function window(name: string, value: unknown, fallback: RateLimitWindow): RateLimitWindow {
  if (value === undefined) return { ...fallback };
  const w = value as Partial<RateLimitWindow> | null;
  const ok = (n: unknown, max: number) =>
    typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  if (typeof w !== 'object' || w === null || !ok(w.max, 1e9) || !ok(w.windowMs, MAX_WINDOW_MS)) {
    throw new InvalidArgumentError(
      `spaneHttp: rateLimit.${name} must be { max, windowMs }: integers, max >= 1, windowMs 1 to ${MAX_WINDOW_MS}`,
    );
  }
  return { max: w.max as number, windowMs: w.windowMs as number };
}

/** Checks `SpaneHttpOptions.rateLimit` at registration. @throws InvalidArgumentError */
export function resolveRateLimit(
  value: SpaneRateLimitOptions | false | undefined,
): ResolvedRateLimit | false {
  if (value === false) return false;
  const o = value ?? {};
  if (typeof o !== 'object' || o === null) {
    throw new InvalidArgumentError('spaneHttp: rateLimit must be an object or false');
  }
  if (
    o.redis !== undefined &&
    (typeof o.redis?.eval !== 'function' || typeof o.redis.status !== 'string')
  ) {
    throw new InvalidArgumentError('spaneHttp: rateLimit.redis must be an ioredis client');
  }
  const prefix = o.prefix ?? 'spane:ratelimit:';
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 128) {
    throw new InvalidArgumentError('spaneHttp: rateLimit.prefix must be 1-128 characters');
  }
  const timeout = o.redisTimeoutMs ?? 150;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 10_000) {
    throw new InvalidArgumentError(
      'spaneHttp: rateLimit.redisTimeoutMs must be an integer from 1 to 10000',
    );
  }
  return {
    redis: o.redis,
    prefix,
    perKey: window('perKey', o.perKey, DEFAULT_RATE_LIMIT_PER_KEY),
    perIp: window('perIp', o.perIp, DEFAULT_RATE_LIMIT_PER_IP),
    failedAuth: window('failedAuth', o.failedAuth, DEFAULT_RATE_LIMIT_FAILED_AUTH),
    redisTimeoutMs: timeout,
  };
}
