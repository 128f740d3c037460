import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { RateLimitRedis } from './rate-limit-options.js';

/** A counter's state as `@fastify/rate-limit` expects it from a store. */
interface Count {
  current: number;
  ttl: number;
}
type Callback = (error: Error | null, result?: Count) => void;

/** Adds one to a fixed-window counter; the window starts with the first hit and expires with the key. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

/** Reads a counter without changing it. */
const PEEK = `
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(n), ttl}
`;

/** Raised when Redis cannot count a request in time: the request goes on unlimited. */
export class RateLimitStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitStoreError';
  }
}

/**
 * A store for `@fastify/rate-limit` on Redis that never makes a request wait long: a
 * command is sent only while the client is connected, and one that has not answered in
 * `timeoutMs` is given up (its result ignored). Either way the callback gets a
 * {@link RateLimitStoreError}, which the plugin (`skipOnError`) treats as "not limited",
 * and `onError` is told. Keys are `prefix` + the limiter's key.
 */
export function boundedRedisStore(
  redis: RateLimitRedis,
  prefix: string,
  timeoutMs: number,
  onError: (error: Error) => void,
): FastifyRateLimitStoreCtor {
  const run = (script: string, key: string, windowMs: number, cb: Callback): void => {
    if (redis.status !== 'ready' && redis.status !== 'wait') {
      const error = new RateLimitStoreError(`Redis is not connected (${redis.status})`);
      onError(error);
      cb(error);
      return;
    }
    let settled = false;
    const finish = (error: Error | null, result?: Count) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) onError(error);
      cb(error, result);
    };
    const timer = setTimeout(
      () => finish(new RateLimitStoreError(`Redis did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    redis.eval(script, 1, prefix + key, windowMs).then(
      (reply) => {
        const [current, ttl] = reply as [number, number];
        finish(null, { current: Number(current), ttl: Number(ttl) });
      },
      (err: Error) => finish(new RateLimitStoreError(`Redis failed: ${err.message}`)),
    );
  };
  return class BoundedRedisStore {
    incr(key: string, cb: Callback, timeWindow: number): void {
      run(HIT, key, timeWindow, cb);
    }
    read(key: string, cb: Callback, timeWindow: number): void {
      run(PEEK, key, timeWindow, cb);
    }
    child(): BoundedRedisStore {
      // Every limiter namespaces its own keys (see rate-limits.ts).
      return this;
    }
  };
}
