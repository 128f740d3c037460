import {
  EnqueueFailedError,
  EnqueueOutcomeUnknownError,
  type ExecutionStore,
  type ExecutionSummary,
  QuotaExceededError,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import type { EngineLogger } from './engine-options.js';
import { releaseExecutions, reserveExecutions } from './lua-scripts.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import type { TenantQuotas } from './tenant-quotas.js';

/** src/lua/reserve-executions-3.lua */
const RESERVE = new RedisScript(reserveExecutions);

/** src/lua/release-executions-2.lua */
const RELEASE = new RedisScript(releaseExecutions);

/**
 * How long an idempotency key lets a retry past a full quota (ms): an hour. Every keyed
 * start of the tenant in that time is remembered (in Redis), so it is kept short.
 */
export const RETRY_KEY_TTL_MS = 60 * 60 * 1000;

/** Slots the reconciler checks against the store in one pass, per tenant. */
const DRAIN_PAGE = 500;

/** Store reads the reconciler's pass makes at once. */
const DRAIN_READS = 20;

/** One execution a start asks a slot for. */
export interface QuotaClaim {
  /** The execution's tenant. */
  tenantId: string;
  /** The id the execution is (or would be) created with. */
  executionId: string;
  /** The start's idempotency key, if it has one. */
  idempotencyKey?: string;
}

/** What {@link ExecutionQuota} needs. */
export interface ExecutionQuotaDeps {
  redis: Redis;
  keys: RedisKeys;
  quotas: TenantQuotas;
  store: Pick<ExecutionStore, 'getExecutionSummary'>;
  logger: EngineLogger;
  /** How long a reservation waits for Redis before the start fails (ms). */
  timeoutMs: number;
  /** A slot not checked for this long is checked against the store by {@link drain} (ms). */
  recheckMs: number;
}

/**
 * The per-tenant `maxActiveExecutions` quota. A Redis sorted set per tenant holds a slot
 * per active execution (member: the execution id). A start reserves the slots of all its
 * executions in one Lua script, all or none, before anything is created — so two
 * processes racing for the last slot cannot both get it, and a refused start creates
 * nothing. The slot is given back when the execution ends (the process that ends it
 * releases it as it announces `workflow:completed`, `failed` or `cancelled`), when the
 * start created nothing, or — when a release was lost (a crash, Redis did not answer) or a
 * reservation's start never created its execution — by the reconciler's pass, which
 * drops the slots of executions the store has ended or never had.
 *
 * A start with an idempotency key used in the last hour (a retry, which may return an
 * execution that exists) is let past a full quota; its slot is released when it created
 * nothing.
 */
export class ExecutionQuota {
  readonly #d: ExecutionQuotaDeps;

  constructor(deps: ExecutionQuotaDeps) {
    this.#d = deps;
  }

  /**
   * Reserves a slot for every claim whose tenant has a limit, all or none.
   * @throws QuotaExceededError (nothing reserved) | EnqueueFailedError (Redis failed or
   * did not answer in time; a slot it may have reserved is dropped by the reconciler)
   */
  async reserve(claims: readonly QuotaClaim[]): Promise<void> {
    const done: QuotaClaim[] = [];
    try {
      for (const [tenantId, group] of this.#limited(claims)) {
        await this.#reserveTenant(tenantId, group);
        done.push(...group);
      }
    } catch (err) {
      await this.release(done);
      if (err instanceof QuotaExceededError) throw err;
      throw new EnqueueFailedError([], err);
    }
  }

  async #reserveTenant(tenantId: string, claims: readonly QuotaClaim[]): Promise<void> {
    const limit = this.#d.quotas.of(tenantId).maxActiveExecutions;
    const keys = this.#d.keys.quota(tenantId);
    const args: (string | number)[] = [Date.now(), limit, RETRY_KEY_TTL_MS, keys.field];
    for (const c of claims) args.push(c.executionId, c.idempotencyKey ?? '');
    const reply = await within(
      RESERVE.run(this.#d.redis, [keys.slots, keys.keys, this.#d.keys.quotaIndex], args),
      this.#d.timeoutMs,
    );
    if (reply === TIMED_OUT) {
      throw new Error(`Redis did not answer the quota check within ${this.#d.timeoutMs} ms`);
    }
    const [reserved, count] = reply as [number, number];
    if (reserved !== 1) {
      throw new QuotaExceededError('activeExecutions', limit, count, claims.length);
    }
  }

  /**
   * Gives back the slots of claims (their executions ended, or were never created). Never
   * throws: a release that fails is logged, and the reconciler's pass frees the slot.
   */
  async release(claims: readonly Omit<QuotaClaim, 'idempotencyKey'>[]): Promise<void> {
    for (const [tenantId, group] of this.#limited(claims)) {
      const ids = group.map((c) => c.executionId);
      try {
        const done = await within(this.#free(tenantId, ids), this.#d.timeoutMs);
        if (done === TIMED_OUT) throw new Error('Redis did not answer');
      } catch (err) {
        this.#d.logger.warn('could not release active-execution quota slots', {
          tenantId,
          executionIds: ids,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  /**
   * Releases the slots of a start that threw: all of them, but for executions whose fate
   * is unknown (EnqueueOutcomeUnknownError), which may run and keep theirs.
   */
  async failed(claims: readonly QuotaClaim[], error: unknown): Promise<void> {
    const unknown = new Set(error instanceof EnqueueOutcomeUnknownError ? error.executionIds : []);
    await this.release(claims.filter((c) => !unknown.has(c.executionId)));
  }

  /** Frees slots of a tenant; returns how many it held. */
  async #free(tenantId: string, executionIds: readonly string[]): Promise<number> {
    const { slots, field } = this.#d.keys.quota(tenantId);
    const freed = await RELEASE.run(
      this.#d.redis,
      [slots, this.#d.keys.quotaIndex],
      [field, ...executionIds],
    );
    return freed as number;
  }

  /** An execution ended: gives its slot back, in the background. */
  ended(tenantId: string, executionId: string): void {
    void this.release([{ tenantId, executionId }]);
  }

  /**
   * The reconciler's pass: checks the slots not checked for `recheckMs` against the store
   * and frees those of executions that ended (a release was lost) or do not exist (their
   * start never created them). Returns how many were freed.
   */
  async drain(): Promise<number> {
    const { redis, keys } = this.#d;
    let freed = 0;
    for (const tenantId of await redis.hkeys(keys.quotaIndex)) {
      const { slots } = keys.quota(tenantId);
      const stale = await redis.zrangebyscore(
        slots,
        '-inf',
        Date.now() - this.#d.recheckMs,
        'LIMIT',
        0,
        DRAIN_PAGE,
      );
      if (stale.length === 0) {
        // Drops the tenant from the index when it has no slot left.
        await this.#free(tenantId, []);
        continue;
      }
      const states: (ExecutionSummary | null)[] = [];
      // A few reads at a time: the pass must not take the store's whole pool.
      for (let i = 0; i < stale.length; i += DRAIN_READS) {
        const chunk = stale.slice(i, i + DRAIN_READS);
        states.push(
          ...(await Promise.all(
            chunk.map((id) => this.#d.store.getExecutionSummary(id, tenantId)),
          )),
        );
      }
      const gone = stale.filter((_, i) => !isActive(states[i]?.status));
      const alive = stale.filter((_, i) => isActive(states[i]?.status));
      if (gone.length > 0) freed += await this.#free(tenantId, gone);
      if (alive.length > 0) {
        await redis.zadd(slots, 'XX', ...alive.flatMap((id) => [Date.now(), id]));
      }
    }
    return freed;
  }

  /** The claims of tenants that have a `maxActiveExecutions`, by tenant. */
  #limited<C extends { tenantId: string }>(claims: readonly C[]): Map<string, C[]> {
    const groups = new Map<string, C[]>();
    for (const c of claims) {
      if (this.#d.quotas.of(c.tenantId).maxActiveExecutions === Number.POSITIVE_INFINITY) continue;
      const group = groups.get(c.tenantId);
      if (group) group.push(c);
      else groups.set(c.tenantId, [c]);
    }
    return groups;
  }
}

function isActive(status: string | undefined): boolean {
  return status === 'pending' || status === 'running' || status === 'paused';
}
