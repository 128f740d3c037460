/**
 * The small harness every example runs in:
 * a Redis key prefix of the run's own (deleted at the end), step-by-step output, checks
 * that make the process exit non-zero, cleanup that always runs, and an overall deadline.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { WorkflowEngine } from '@spane/bullmq';
import type { EngineEventMap, EngineEventName } from '@spane/core';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Example {
  /** A Redis key prefix of this run's own: engines sharing it share work and events. */
  prefix: string;
  /** A Redis connection for engines (an engine never closes a connection it is given). */
  redis: Redis;
  /** Prints one step. */
  say(line: string): void;
  /** A check: prints why and marks the run failed when `actual` is not deeply equal to `expected`. */
  expectEqual(what: string, actual: unknown, expected: unknown): boolean;
  /** A check: prints why and marks the run failed when `ok` is false. */
  check(ok: boolean, what: string): boolean;
  /** Runs `fn` at the end, whatever happened; the last registered runs first. */
  defer(fn: () => unknown): void;
  /** Polls `condition` every 25 ms until it holds; throws after `timeoutMs`. */
  until(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs?: number,
  ): Promise<void>;
  /** The next `event` (from any engine on the prefix) that `match` accepts; throws after `timeoutMs`. */
  nextEvent<E extends EngineEventName>(
    engine: WorkflowEngine,
    event: E,
    match: (payload: EngineEventMap[E]) => boolean,
    timeoutMs?: number,
  ): Promise<EngineEventMap[E]>;
}

/**
 * Runs an example: `body` returns the closing summary. Any failed check, thrown error or
 * the deadline passing prints `FAILED: …` and sets exit code 1; otherwise `OK: <summary>`.
 */
export async function runExample(
  name: string,
  body: (ex: Example) => Promise<string>,
  deadlineMs = 60_000,
): Promise<void> {
  // Last resort: if even cleanup hangs, exit anyway.
  setTimeout(() => {
    console.log(`FAILED: ${name} still running ${deadlineMs / 1000 + 15} s after it started`);
    process.exit(1);
  }, deadlineMs + 15_000).unref();

  const prefix = `spane-example-${name}-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const failures: string[] = [];
  const cleanups: (() => unknown)[] = [];
  const fail = (why: string): false => {
    failures.push(why);
    console.log(`  FAILED: ${why}`);
    return false;
  };
  const ex: Example = {
    prefix,
    redis,
    say: (line) => console.log(line),
    expectEqual: (what, actual, expected) =>
      isDeepStrictEqual(actual, expected) ||
      fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`),
    check: (ok, what) => ok || fail(what),
    defer: (fn) => cleanups.push(fn),
    async until(what, condition, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > end) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    nextEvent(engine, event, match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = engine.on(event, (payload) => {
          if (!match(payload)) return;
          clearTimeout(timer);
          off();
          resolve(payload);
        });
      });
    },
  };

  let deadline: NodeJS.Timeout | undefined;
  let summary = '';
  try {
    summary = await Promise.race([
      body(ex),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(
          () => reject(new Error(`the example did not finish within ${deadlineMs / 1000} s`)),
          deadlineMs,
        );
      }),
    ]);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(deadline);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        fail(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await deleteKeys(redis, `${prefix}:*`).catch((err: Error) =>
      fail(`deleting the Redis keys: ${err.message}`),
    );
    await redis.quit().catch(() => redis.disconnect());
  }
  if (failures.length > 0) {
    console.log(`FAILED: ${failures.length} check(s) of the ${name} example failed`);
    process.exitCode = 1;
  } else {
    console.log(`OK: ${summary}`);
  }
}

/** Deletes the keys matching `pattern` (e.g. `<prefix>:*`), a SCAN page at a time. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Resolves after `ms` (for executors that simulate work; never used to wait for an outcome). */
export function work(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
}
