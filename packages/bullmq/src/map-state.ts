import type { Redis } from 'ioredis';
import { mapItemDone } from './lua-scripts.js';
import type { MapKeys, RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** src/lua/map-item-done-3.lua */
const ITEM_DONE = new RedisScript(mapItemDone);

/** Items written to Redis per command when a map starts. */
const ITEM_CHUNK = 1000;

/** One attempt of a map node. */
export interface MapRef {
  executionId: string;
  nodeId: string;
  attempt: number;
}

/** The counters of a map node attempt. */
export interface MapCounters {
  total: number;
  /** Items claimed to start (their index is below this). */
  next: number;
  done: number;
  failed: number;
  concurrency: number;
  /** The child workflow and version the items run. */
  childWorkflowId: string;
  childVersion: string;
  /** When the attempt started its items (ISO 8601). */
  startedAt?: string;
  /** Set once the map is over: `complete`, or `fail:<index>` of the item that failed it. */
  halted?: string;
}

/** How a map node's items run, fixed when it starts. */
export interface MapStart {
  total: number;
  concurrency: number;
  childWorkflowId: string;
  childVersion: string;
  /** When the attempt starts (ISO 8601). */
  startedAt: string;
}

/** What recording an item's result decided (see map-item-done-3.lua). */
export type ItemDone =
  | { what: 'gone' | 'seen' | 'halted' | 'fail' | 'complete' }
  | { what: 'next'; start: number[] };

/** One item's result, as kept until the map completes. */
export type ItemResult = { ok: true; data: unknown } | { ok: false; error: string };

/**
 * The Redis side of map nodes: per attempt its counters, its items, their results and the
 * items started; every change of the counters is one Lua call, so concurrent item ends
 * (several engine processes) claim each next item once and exactly one of them completes
 * or fails the map.
 */
export class MapState {
  readonly #redis: Redis;
  readonly #keys: Pick<RedisKeys, 'map' | 'maps'>;

  constructor(redis: Redis, keys: Pick<RedisKeys, 'map' | 'maps'>) {
    this.#redis = redis;
    this.#keys = keys;
  }

  #of(ref: MapRef): MapKeys {
    return this.#keys.map(ref.executionId, ref.nodeId, ref.attempt);
  }

  /** The member of the index set naming a map attempt. */
  static member(ref: MapRef): string {
    return JSON.stringify([ref.executionId, ref.nodeId, ref.attempt]);
  }

  /**
   * Writes a new map's items, then its counters (their existence says the items are all
   * there), and lists it for the reconciler. False when the attempt's state existed (a
   * re-run of the attempt): nothing is written.
   */
  async init(ref: MapRef, items: readonly unknown[], start: MapStart): Promise<boolean> {
    const keys = this.#of(ref);
    if ((await this.#redis.exists(keys.state)) === 1) return false;
    for (let i = 0; i < items.length; i += ITEM_CHUNK) {
      const chunk: Record<string, string> = {};
      items.slice(i, i + ITEM_CHUNK).forEach((item, j) => {
        chunk[String(i + j)] = JSON.stringify(item ?? null);
      });
      await this.#redis.hset(keys.items, chunk);
    }
    await this.#redis.sadd(this.#keys.maps, MapState.member(ref));
    await this.#redis.hset(keys.state, {
      total: start.total,
      next: 0,
      done: 0,
      failed: 0,
      concurrency: start.concurrency,
      childWorkflowId: start.childWorkflowId,
      childVersion: start.childVersion,
      startedAt: start.startedAt,
    });
    return true;
  }

  /** The counters of a map attempt, or undefined when it has none (ended, or never started). */
  async counters(ref: MapRef): Promise<MapCounters | undefined> {
    const s = await this.#redis.hgetall(this.#of(ref).state);
    if (s.total === undefined) return undefined;
    const counters: MapCounters = {
      total: Number(s.total),
      next: Number(s.next),
      done: Number(s.done),
      failed: Number(s.failed),
      concurrency: Number(s.concurrency),
      childWorkflowId: s.childWorkflowId ?? '',
      childVersion: s.childVersion ?? '',
    };
    if (s.halted !== undefined) counters.halted = s.halted;
    if (s.startedAt !== undefined) counters.startedAt = s.startedAt;
    return counters;
  }

  /** Claims the items to start while the concurrency leaves room (none once the map ended). */
  async claim(ref: MapRef): Promise<number[]> {
    const done = await this.#run(ref, ['', '', '', '0']);
    return done.what === 'next' ? done.start : [];
  }

  /** One item as it was given (parsed JSON), or undefined when the map's items are gone. */
  async item(ref: MapRef, index: number): Promise<{ value: unknown } | undefined> {
    const text = await this.#redis.hget(this.#of(ref).items, String(index));
    return text === null ? undefined : { value: JSON.parse(text) };
  }

  /** Notes that an item's child execution was started. */
  async started(ref: MapRef, index: number): Promise<void> {
    await this.#redis.sadd(this.#of(ref).live, String(index));
  }

  /** Records an item's result (once) and claims the next items (see map-item-done-3.lua). */
  async itemDone(
    ref: MapRef,
    index: number,
    result: ItemResult,
    failsMap: boolean,
  ): Promise<ItemDone> {
    const status = result.ok ? 'ok' : 'failed';
    return this.#run(ref, [index, status, JSON.stringify(result), failsMap ? '1' : '0']);
  }

  async #run(ref: MapRef, args: (string | number)[]): Promise<ItemDone> {
    const keys = this.#of(ref);
    const out = (await ITEM_DONE.run(this.#redis, [keys.state, keys.results, keys.live], args)) as (
      | string
      | number
    )[];
    const what = String(out[0]);
    if (what === 'next') return { what, start: out.slice(1).map(Number) };
    return { what: what as Exclude<ItemDone['what'], 'next'> };
  }

  /**
   * Every item's result in item order (undefined for an item without one), read in
   * chunks.
   */
  async results(ref: MapRef, total: number): Promise<(ItemResult | undefined)[]> {
    const key = this.#of(ref).results;
    const out: (ItemResult | undefined)[] = [];
    for (let i = 0; i < total; i += ITEM_CHUNK) {
      const fields = Array.from({ length: Math.min(ITEM_CHUNK, total - i) }, (_, j) =>
        String(i + j),
      );
      const texts = await this.#redis.hmget(key, ...fields);
      for (const text of texts)
        out.push(text === null ? undefined : (JSON.parse(text) as ItemResult));
    }
    return out;
  }

  /**
   * The claimed items that have neither a result nor a started child (a process died
   * between claiming and starting them): none to look for when the counts add up.
   */
  async unstarted(ref: MapRef, next: number): Promise<number[]> {
    const keys = this.#of(ref);
    const [results, live] = await Promise.all([
      this.#redis.hlen(keys.results),
      this.#redis.smembers(keys.live),
    ]);
    if (results + live.length >= next) return [];
    const started = new Set(live.map(Number));
    const missing: number[] = [];
    for (let i = 0; i < next; i += ITEM_CHUNK) {
      const fields = Array.from({ length: Math.min(ITEM_CHUNK, next - i) }, (_, j) =>
        String(i + j),
      );
      const texts = await this.#redis.hmget(keys.results, ...fields);
      texts.forEach((text, j) => {
        if (text === null && !started.has(i + j)) missing.push(i + j);
      });
    }
    return missing;
  }

  /** The map attempts listed for the reconciler, page by page. */
  async *listed(): AsyncGenerator<MapRef[]> {
    let cursor = '0';
    do {
      const [next, members] = await this.#redis.sscan(this.#keys.maps, cursor, 'COUNT', 200);
      cursor = next;
      yield members.map((m) => {
        const [executionId, nodeId, attempt] = JSON.parse(m) as [string, string, number];
        return { executionId, nodeId, attempt };
      });
    } while (cursor !== '0');
  }

  /** Deletes a map attempt's state and unlists it. */
  async remove(ref: MapRef): Promise<void> {
    const keys = this.#of(ref);
    await this.#redis.del(keys.state, keys.items, keys.results, keys.live);
    await this.#redis.srem(this.#keys.maps, MapState.member(ref));
  }
}
