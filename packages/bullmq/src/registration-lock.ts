import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { unlock } from './lua-scripts.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** src/lua/unlock-1.lua */
const UNLOCK = new RedisScript(unlock);

/** What {@link RegistrationLock} needs. */
export interface RegistrationLockDeps {
  redis: Redis;
  keys: RedisKeys;
  /** A holder that died frees the lock after this long (ms). */
  ttlMs: number;
  /** How long a caller waits for the lock before it fails (ms). */
  waitMs: number;
}

/**
 * One registration at a time per tenant, across processes, while the tenant's
 * `maxWorkflows` or `maxSchedules` is checked and the definition saved: so that two
 * registrations racing for the last workflow or schedule cannot both pass. A Redis key
 * (`SET NX PX`) holds the lock; a holder that dies frees it after `ttlMs`.
 */
export class RegistrationLock {
  readonly #d: RegistrationLockDeps;

  constructor(deps: RegistrationLockDeps) {
    this.#d = deps;
  }

  /**
   * Runs `work` holding the tenant's lock.
   * @throws Error when the lock was not had within `waitMs` (another registration holds it)
   */
  async hold<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const key = this.#d.keys.registrationLock(tenantId);
    const token = randomUUID();
    const deadline = Date.now() + this.#d.waitMs;
    let pause = 5;
    while ((await this.#d.redis.set(key, token, 'PX', this.#d.ttlMs, 'NX')) !== 'OK') {
      if (Date.now() > deadline) {
        throw new Error(
          `another registration of the tenant held its lock for ${this.#d.waitMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 100);
    }
    try {
      return await work();
    } finally {
      // A lost unlock leaves the key to expire.
      await UNLOCK.run(this.#d.redis, [key], [token]).catch(() => {});
    }
  }
}
