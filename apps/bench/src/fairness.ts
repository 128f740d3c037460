/**
 * Fair scheduling between tenants: tenant A bulk-starts a backlog of one-node runs (10 ×
 * 1,000 by default) before any worker runs; then the workers start and tenant B starts
 * one run of a 3-node chain. Prints, per store and with `fairScheduling` on and off, the
 * ms from B's start call until B's first node starts and until B completes, and how many of
 * A's nodes were still waiting when B started and when it completed.
 *
 *   pnpm bench:fairness [--backlog 10000] [--reps 1] [--impl memory,postgres]
 *
 * REDIS_URL (default redis://127.0.0.1:6379) and DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test) say where the services are.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { Redis } from 'ioredis';
import { deleteKeys, median, now } from './measure.js';
import { type OpenedStore, openMemoryStore, openPostgresStore, probePostgres } from './stores.js';

/** Tenant A's start calls: the backlog in batches of this many runs. */
const BATCH = 1_000;
/** Worker concurrency (as the bench's W2). */
const CONCURRENCY = 50;
const STORES = ['memory', 'postgres'] as const;
type StoreName = (typeof STORES)[number];

/** One measurement. */
interface Sample {
  /** ms from B's start call until its first node started. */
  firstNodeMs: number;
  /** ms from B's start call until B completed. */
  completedMs: number;
  /** A's nodes waiting when B started. */
  waitingAtStart: number;
  /** A's nodes that had not started when B completed. */
  waitingAtEnd: number;
}

/** One engine on a fresh prefix and store: A's backlog, then B's run, timed. */
async function measure(opened: OpenedStore, redisUrl: string, fair: boolean, backlog: number) {
  const prefix = `spane-bench-fair-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const registry = new NodeRegistry();
  let aStarted = 0;
  let bFirst: number | undefined;
  registry.register('bench.fair', {
    async execute(ctx) {
      if (ctx.tenantId === 'A') aStarted += 1;
      else bFirst ??= now();
      return { success: true, data: {} };
    },
  });
  const engine = new WorkflowEngine(registry, opened.store, redis, {
    prefix,
    fairScheduling: fair,
    // A backlog past the default quota of active executions per tenant must still start.
    quotas: false,
    logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  try {
    await engine.registerWorkflow(
      { id: 'one', name: 'one', nodes: [{ id: 'n', type: 'bench.fair' }] },
      { tenantId: 'A' },
    );
    const chain = ['n1', 'n2', 'n3'].map((id, i) => ({
      id,
      type: 'bench.fair',
      ...(i > 0 ? { inputs: [`n${i}`] } : {}),
    }));
    await engine.registerWorkflow({ id: 'chain', name: 'chain', nodes: chain }, { tenantId: 'B' });
    for (let done = 0; done < backlog; done += BATCH) {
      const n = Math.min(BATCH, backlog - done);
      await engine.enqueueWorkflows(
        Array.from({ length: n }, () => ({ workflowId: 'one', options: { tenantId: 'A' } })),
      );
    }
    await engine.startWorkers(CONCURRENCY);
    const waitingAtStart = backlog - aStarted;
    const started = now();
    const id = await engine.enqueueWorkflow('chain', {}, { tenantId: 'B' });
    const state = await engine.waitForExecution(id, { timeoutMs: 600_000 }, { tenantId: 'B' });
    const completedMs = now() - started;
    const waitingAtEnd = backlog - aStarted;
    if (state.status !== 'completed') throw new Error(`B's run ended ${state.status}`);
    return {
      firstNodeMs: (bFirst ?? Number.NaN) - started,
      completedMs,
      waitingAtStart,
      waitingAtEnd,
    };
  } finally {
    await engine.close();
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
}

async function open(store: StoreName, databaseUrl: string): Promise<OpenedStore> {
  return store === 'memory' ? openMemoryStore() : openPostgresStore(databaseUrl);
}

function row(store: StoreName, fair: boolean, samples: readonly Sample[]): string {
  const m = (pick: (s: Sample) => number) => median(samples.map(pick));
  return [
    store.padEnd(8),
    (fair ? 'on' : 'off').padEnd(4),
    m((s) => s.waitingAtStart)
      .toFixed(0)
      .padStart(9),
    m((s) => s.firstNodeMs)
      .toFixed(1)
      .padStart(13),
    m((s) => s.completedMs)
      .toFixed(1)
      .padStart(13),
    m((s) => s.waitingAtEnd)
      .toFixed(0)
      .padStart(9),
  ].join('  ');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      backlog: { type: 'string', default: '10000' },
      reps: { type: 'string', default: '1' },
      impl: { type: 'string', default: STORES.join(',') },
    },
  });
  const backlog = Number(values.backlog);
  const reps = Number(values.reps);
  if (!Number.isInteger(backlog) || backlog < 1) throw new Error('--backlog: a positive integer');
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps: a positive integer');
  const stores = values.impl.split(',').map((s) => s.trim()) as StoreName[];
  for (const s of stores) if (!STORES.includes(s)) throw new Error(`unknown store '${s}'`);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

  console.log(`tenant A: ${backlog} one-node runs queued (start calls of ${BATCH}), then`);
  console.log(`tenant B: one 3-node chain; ${CONCURRENCY} workers; medians of ${reps} rep(s)`);
  console.log('');
  console.log('store     fair  A waiting  B 1st node ms  B done ms      A left');
  for (const store of stores) {
    if (store === 'postgres') {
      const probe = await probePostgres(databaseUrl);
      if (!probe.ok) {
        console.log(`postgres skipped: ${probe.reason}`);
        continue;
      }
    }
    for (const fair of [true, false]) {
      const samples: Sample[] = [];
      for (let r = 0; r < reps; r += 1) {
        const opened = await open(store, databaseUrl);
        try {
          samples.push(await measure(opened, redisUrl, fair, backlog));
        } finally {
          await opened.dispose();
        }
      }
      console.log(row(store, fair, samples));
    }
  }
  console.log('');
  console.log('A waiting: A’s nodes not yet started when B started; A left: when B completed.');
}

await main();
