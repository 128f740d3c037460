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
  readonly #numberOfKeys: number;

  /** A script of `src/lua/` as `src/lua-scripts.ts` embeds it. */
  constructor(script: { source: string; numberOfKeys: number }) {
    this.#source = script.source;
    this.#numberOfKeys = script.numberOfKeys;
    this.#sha = createHash('sha1').update(script.source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    if (keys.length !== this.#numberOfKeys) {
      throw new Error(`script takes ${this.#numberOfKeys} keys, got ${keys.length}`);
    }
    try {
      return (await redis.evalsha(this.#sha, keys.length, ...keys, ...args)) as unknown;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return (await redis.eval(this.#source, keys.length, ...keys, ...args)) as unknown;
    }
  }
}
