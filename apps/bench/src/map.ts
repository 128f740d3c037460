/**
 * The built-in `map` node at scale: one workflow `source → M`, where `source` emits a list
 * of `--items` numbers and `M` is a `map` node (nodeType mode) running a trivial node type
 * (`{ n: item * 2 }`) once per item, `--concurrency` at once. Per store it prints, from the
 * start call until the execution completed: wall time, items/s, the process's RSS (after a
 * forced GC before, the peak sampled every 25 ms, and at 25/50/75/100 % of the items as
 * `getExecution(…).nodeResults.M.items` reports them) and the Redis server's `used_memory`
 * (before, peak, after; the map's keys must be gone by then). In the same process, a raw
 * BullMQ baseline runs as many jobs (one `addBulk`, one Worker with the same concurrency,
 * a trivial processor), and SPANE's wall time is printed as a ratio to it. `--small` items
 * (default 1,000; 0 skips) run first, so peak RSS can be compared between the two sizes.
 *
 *   pnpm bench:map [--items 10000] [--small 1000] [--concurrency 100] [--impl memory,postgres]
 *
 * REDIS_URL (default redis://127.0.0.1:6379) and DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test) say where the services are. The process
 * exits non-zero when a result is wrong (an execution not completed, an output off, map keys
 * left) — never because of a timing.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  deleteKeys,
  now,
  prefixFootprint,
  redisUsedMemory,
  sampleRss,
  settledMemory,
} from './measure.js';
import { type OpenedStore, openMemoryStore, openPostgresStore, probePostgres } from './stores.js';

const STORES = ['memory', 'postgres'] as const;
type StoreName = (typeof STORES)[number];
type Impl = 'bullmq' | StoreName;

/**
 * How often the map's progress is read (ms): a `getExecution` of the parent, which carries
 * the list, so it is read less often than RSS and Redis memory are sampled (25 ms).
 */
const PROGRESS_POLL_MS = 100;

/** What one run measured (bytes, ms). */
interface Result {
  impl: Impl;
  items: number;
  wallMs: number;
  rssBefore: number;
  rssPeak: number;
  /** RSS when 25, 50, 75 and 100 % of the items were done (SPANE only). */
  rssAt: number[];
  redisBefore: number;
  redisPeak: number;
  redisAfter: number;
  /** Bytes of the map attempt's keys at about half way (SPANE only). */
  mapKeyBytes?: number;
}

/** Runs `fn` every `intervalMs`, never two at once, until stopped; errors are ignored. */
function poll(fn: () => Promise<void>, intervalMs: number): { stop(): Promise<void> } {
  let busy: Promise<void> | undefined;
  const timer = setInterval(() => {
    busy ??= fn()
      .catch(() => {})
      .finally(() => {
        busy = undefined;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
    },
  };
}

/** The Redis server's `used_memory` before (now), its peak (sampled every 25 ms) and after. */
function sampleRedis(redis: Redis): { before(): Promise<number>; stop(): Promise<number> } {
  let peak = 0;
  const sampler = poll(async () => {
    peak = Math.max(peak, await redisUsedMemory(redis));
  }, 25);
  return {
    before: () => redisUsedMemory(redis),
    async stop() {
      await sampler.stop();
      return peak;
    },
  };
}

/** The raw-BullMQ baseline: `items` jobs with one addBulk, one Worker, a trivial processor. */
async function measureBullmq(redisUrl: string, items: number, concurrency: number) {
  const prefix = `spane-bench-map-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<number>('items', { connection: redis, prefix });
  let completed = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const worker = new Worker<number>('items', async (job) => ({ n: job.data * 2 }), {
    connection: workerConnection,
    prefix,
    concurrency,
  });
  worker.on('completed', () => {
    completed += 1;
    if (completed === items) allDone();
  });
  try {
    await worker.waitUntilReady();
    const { rss: rssBefore } = await settledMemory();
    const redisMemory = sampleRedis(redis);
    const redisBefore = await redisMemory.before();
    const rss = sampleRss(25);
    const started = now();
    await queue.addBulk(
      Array.from({ length: items }, (_, i) => ({
        name: 'item',
        data: i,
        opts: { removeOnComplete: true },
      })),
    );
    await done;
    const wallMs = now() - started;
    const rssPeak = rss.stop();
    const redisPeak = await redisMemory.stop();
    return {
      impl: 'bullmq',
      items,
      wallMs,
      rssBefore,
      rssPeak,
      rssAt: [],
      redisBefore,
      redisPeak,
      redisAfter: await redisUsedMemory(redis),
    } satisfies Result;
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    await workerConnection.quit();
  }
}

/** A fresh engine on a fresh prefix with the `source` and `double` types and the workflow. */
async function mapEngine(opened: OpenedStore, redis: Redis, prefix: string, concurrency: number) {
  const registry = new NodeRegistry();
  registry.register('source', {
    async execute(ctx) {
      return { success: true, data: ctx.inputData };
    },
  });
  registry.register('double', {
    async execute(ctx) {
      return { success: true, data: { n: (ctx.inputData as number) * 2 } };
    },
  });
  const engine = new WorkflowEngine(registry, opened.store, redis, {
    prefix,
    logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  await engine.registerWorkflow({
    id: 'fan-out',
    name: 'fan-out',
    nodes: [
      { id: 'source', type: 'source' },
      {
        id: 'M',
        type: 'map',
        inputs: ['source'],
        config: { items: 'input.list', nodeType: 'double', concurrency },
      },
    ],
  });
  await engine.startWorkers(concurrency);
  return engine;
}

/** Polls the map's progress; records the RSS the first time 25/50/75 % of the items are done. */
function watchProgress(
  engine: WorkflowEngine,
  redis: Redis,
  prefix: string,
  id: () => string | undefined,
) {
  const rssAt: number[] = [];
  let mapKeyBytes: number | undefined;
  const watcher = poll(async () => {
    const executionId = id();
    if (executionId === undefined) return;
    const items = (await engine.getExecution(executionId))?.nodeResults.M?.items;
    if (!items) return;
    const finished = items.done + items.failed;
    while (rssAt.length < 3 && finished >= (items.total * (rssAt.length + 1)) / 4) {
      rssAt.push(process.memoryUsage.rss());
    }
    if (mapKeyBytes === undefined && rssAt.length >= 2) {
      mapKeyBytes = (await prefixFootprint(redis, `${prefix}:map`)).bytes;
    }
  }, PROGRESS_POLL_MS);
  return {
    async stop() {
      await watcher.stop();
      return { rssAt, mapKeyBytes };
    },
  };
}

/** Polls until no key of map state is left under the prefix; the keys left at the deadline. */
async function mapKeysLeft(redis: Redis, prefix: string, deadlineMs = 10_000): Promise<number> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = (await redis.keys(`${prefix}:map*`)).length;
    if (left === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Checks the map's output: `{ n: i * 2 }` for item i, in item order. */
function checkOutput(data: unknown, items: number): void {
  const wrong =
    !Array.isArray(data) ||
    data.length !== items ||
    data.some((d, i) => (d as { n?: unknown } | null)?.n !== i * 2);
  if (wrong) throw new Error(`the map's output is not [{ n: 0 }, { n: 2 }, …] of ${items} items`);
}

/** One SPANE run on a fresh prefix and store: `source → M` over `items` numbers, timed. */
async function measureSpane(
  store: StoreName,
  opened: OpenedStore,
  redisUrl: string,
  items: number,
  concurrency: number,
): Promise<Result> {
  const prefix = `spane-bench-map-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const engine = await mapEngine(opened, redis, prefix, concurrency);
  try {
    const list = Array.from({ length: items }, (_, i) => i);
    const { rss: rssBefore } = await settledMemory();
    const redisMemory = sampleRedis(redis);
    const redisBefore = await redisMemory.before();
    const rss = sampleRss(25);
    let id: string | undefined;
    const progress = watchProgress(engine, redis, prefix, () => id);
    const started = now();
    id = await engine.enqueueWorkflow('fan-out', { list });
    const state = await engine.waitForExecution(id, { timeoutMs: 900_000 });
    const wallMs = now() - started;
    const rssAt100 = process.memoryUsage.rss();
    const rssPeak = rss.stop();
    const { rssAt, mapKeyBytes } = await progress.stop();
    const redisPeak = await redisMemory.stop();
    if (state.status !== 'completed') {
      throw new Error(`${store}: the execution ended ${state.status}: ${state.error}`);
    }
    checkOutput(state.nodeResults.M?.data, items);
    const left = await mapKeysLeft(redis, prefix);
    if (left > 0) throw new Error(`${store}: ${left} map key(s) left after completion`);
    const result: Result = {
      impl: store,
      items,
      wallMs,
      rssBefore,
      rssPeak,
      rssAt: [...rssAt, rssAt100],
      redisBefore,
      redisPeak,
      redisAfter: await redisUsedMemory(redis),
    };
    if (mapKeyBytes !== undefined) result.mapKeyBytes = mapKeyBytes;
    return result;
  } finally {
    await engine.close();
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
}

const MiB = (bytes: number | undefined): string =>
  bytes === undefined || !Number.isFinite(bytes) ? '-' : (bytes / 2 ** 20).toFixed(1);

function timingRow(r: Result, baseline: Result | undefined): string {
  const ratio =
    baseline && r.impl !== 'bullmq' ? `×${(r.wallMs / baseline.wallMs).toFixed(2)}` : '';
  return [
    String(r.items).padStart(6),
    r.impl.padEnd(8),
    (r.wallMs / 1000).toFixed(2).padStart(8),
    ((r.items / r.wallMs) * 1000).toFixed(0).padStart(8),
    ratio.padStart(9),
  ].join('  ');
}

function memoryRow(r: Result): string {
  const at = [0, 1, 2, 3].map((i) => MiB(r.rssAt[i]).padStart(6));
  return [
    String(r.items).padStart(6),
    r.impl.padEnd(8),
    MiB(r.rssBefore).padStart(7),
    MiB(r.rssPeak).padStart(7),
    ...at,
    MiB(r.redisBefore).padStart(9),
    MiB(r.redisPeak).padStart(7),
    MiB(r.redisAfter).padStart(7),
    (r.mapKeyBytes === undefined ? '-' : (r.mapKeyBytes / 1024).toFixed(0)).padStart(8),
  ].join('  ');
}

function printTables(results: readonly Result[]): void {
  console.log('');
  console.log(' items  impl        wall s   items/s  wall/bullmq');
  for (const r of results) {
    const baseline = results.find((b) => b.impl === 'bullmq' && b.items === r.items);
    console.log(timingRow(r, baseline));
  }
  console.log('');
  console.log(
    '                  process RSS (MiB)                              Redis used_memory (MiB)',
  );
  console.log(
    ' items  impl       before     peak    @25%    @50%    @75%   @100%     before     peak    after  map KiB',
  );
  for (const r of results) console.log(memoryRow(r));
  console.log('');
  console.log(
    'RSS before: after a forced GC; @N%: when N % of the items were done (getExecution),',
  );
  console.log(
    '@100%: at completion. Redis: the whole (shared) server; map keys: the map attempt’s',
  );
  console.log(
    'keys (items, results, counters) at about half way, MEMORY USAGE. No map key is left',
  );
  console.log('after completion (checked). store-memory keeps every finished child execution.');
}

interface Options {
  sizes: number[];
  concurrency: number;
  stores: StoreName[];
}

function parseOptions(): Options {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string', default: '10000' },
      small: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '100' },
      impl: { type: 'string', default: STORES.join(',') },
    },
  });
  const items = Number(values.items);
  const small = Number(values.small);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(items) || items < 1) throw new Error('--items: a positive integer');
  if (!Number.isInteger(small) || small < 0) throw new Error('--small: 0 or a positive integer');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new Error('--concurrency: an integer from 1 to 1000 (a map node’s limit)');
  }
  const stores = values.impl.split(',').map((s) => s.trim()) as StoreName[];
  for (const s of stores) if (!STORES.includes(s)) throw new Error(`unknown store '${s}'`);
  const sizes = small > 0 && small !== items ? [small, items] : [items];
  return { sizes, concurrency, stores };
}

async function main(): Promise<void> {
  const { sizes, concurrency, stores } = parseOptions();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const postgres = stores.includes('postgres') ? await probePostgres(databaseUrl) : undefined;
  if (postgres && !postgres.ok) console.log(`postgres skipped: ${postgres.reason}`);
  console.log(`map over ${sizes.join(' and ')} items, concurrency ${concurrency}`);
  const results: Result[] = [];
  for (const items of sizes) {
    results.push(await measureBullmq(redisUrl, items, concurrency));
    console.log(timingRow(results.at(-1)!, undefined));
    for (const store of stores) {
      if (store === 'postgres' && !postgres?.ok) continue;
      const opened =
        store === 'memory'
          ? // Every child execution is kept (none evicted while the map runs).
            openMemoryStore({ maxFinishedExecutions: items + 1_000 })
          : await openPostgresStore(databaseUrl);
      try {
        results.push(await measureSpane(store, opened, redisUrl, items, concurrency));
      } finally {
        await opened.dispose();
      }
      console.log(
        timingRow(
          results.at(-1)!,
          results.find((b) => b.items === items),
        ),
      );
    }
  }
  printTables(results);
}

await main();
