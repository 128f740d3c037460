import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not have it
 * cached (a restart, SCRIPT FLUSH). Does not touch the connection (no `defineCommand`):
 * the engine may be given a connection it does not own.
 */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    try {
      return (await redis.evalsha(this.#sha, keys.length, ...keys, ...args)) as unknown;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return (await redis.eval(this.#source, keys.length, ...keys, ...args)) as unknown;
    }
  }
}
