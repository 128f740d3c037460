import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';

/** Milliseconds on the monotonic clock. */
export const now = (): number => performance.now();

/** Nearest-rank percentile (`p` in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A distribution-free interval for the median of `values` with at least `confidence`
 * coverage: the k-th lowest and k-th highest value, for the largest k with
 * 2 × P(Binomial(n, ½) < k) ≤ 1 − confidence (for 12 values at 95 %: the 3rd and the 10th).
 * Undefined when there are too few values (fewer than 6 at 95 %).
 */
export function medianInterval(
  values: readonly number[],
  confidence = 0.95,
): [number, number] | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  let k = 0;
  let below = 0; // P(X < k + 1) = P(X <= k), X ~ Binomial(n, 1/2)
  let term = 0.5 ** n; // P(X = 0)
  for (let i = 0; i < n; i++) {
    below += term;
    if (2 * below > 1 - confidence) break;
    k = i + 1;
    term = (term * (n - i)) / (i + 1);
  }
  return k === 0 ? undefined : [sorted[k - 1]!, sorted[n - k]!];
}

let gcFn: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/** A forced full GC: `global.gc` when run with `--expose-gc`, otherwise through the V8 flag. */
export function forceGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
}

/** RSS and heap after a few forced GCs with the event loop turning in between. */
export async function settledMemory(): Promise<MemorySnapshot> {
  for (let i = 0; i < 3; i++) {
    forceGc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** Samples RSS every `intervalMs` until stopped; `stop()` returns the peak. */
export function sampleRss(intervalMs = 25): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** `used_memory` of the Redis server (the whole server: it is shared). */
export async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

/** Keys under a prefix and their total `MEMORY USAGE`, biggest keys first. */
export async function prefixFootprint(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number; biggest: { key: string; bytes: number }[] }> {
  const sizes: { key: string; bytes: number }[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = Number((await redis.memory('USAGE', key)) ?? 0);
      sizes.push({ key: key.slice(prefix.length + 1), bytes });
    }
  } while (cursor !== '0');
  sizes.sort((a, b) => b.bytes - a.bytes);
  return {
    keys: sizes.length,
    bytes: sizes.reduce((s, k) => s + k.bytes, 0),
    biggest: sizes.slice(0, 3),
  };
}

/** Deletes every key matching the pattern, with SCAN + DEL (never FLUSH*: Redis is shared). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Thrown when executions stop making progress. */
export class StalledError extends Error {
  override name = 'StalledError';
}

/**
 * Waits for every promise; fails with {@link StalledError} when neither `progress()` nor
 * the number of settled promises has moved for `stallMs` (a stuck execution, not a slow one).
 */
export async function allWithWatchdog<T>(
  promises: readonly Promise<T>[],
  progress: () => number,
  stallMs: number,
): Promise<PromiseSettledResult<T>[]> {
  let settled = 0;
  const tracked = promises.map((p) =>
    p.finally(() => {
      settled += 1;
    }),
  );
  let last = -1;
  let lastChange = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const p = progress() + settled;
      if (p !== last) {
        last = p;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        reject(
          new StalledError(
            `${promises.length - settled} of ${promises.length} executions made no progress for ${stallMs} ms`,
          ),
        );
      }
    }, 250);
  });
  try {
    return await Promise.race([Promise.allSettled(tracked), stalled]);
  } finally {
    clearInterval(timer);
  }
}
