import { randomBytes, randomUUID } from 'node:crypto';
import {
  type EngineEventMap,
  type EngineEventName,
  type ExecutionStore,
  type INodeExecutor,
  NodeRegistry,
  parseMasterKeys,
  SecretVault,
  type WorkflowDefinition,
} from '@spane/core';
import { Redis } from 'ioredis';
import { WorkflowEngine, type WorkflowEngineOptions } from '../../src/index.js';
import { createTestStore } from './test-store.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Harness {
  engine: WorkflowEngine;
  registry: NodeRegistry;
  store: ExecutionStore;
  redis: Redis;
  prefix: string;
  /** The Postgres schema of the store (absent for the memory store). */
  schema?: string;
  /** The engines' secret vault (`secrets`), when the harness was made with `secrets: true`. */
  vault?: SecretVault;
  /** Another engine on the same Redis prefix and store (a second "process"). */
  peer(options?: WorkflowEngineOptions): WorkflowEngine;
  /**
   * Another engine on the same Redis prefix and store but with its own node registry (a
   * second "process" whose executors can be told apart). Closed by `close`.
   */
  peerWith(registry: NodeRegistry, options?: WorkflowEngineOptions): WorkflowEngine;
  close(): Promise<void>;
}

/** Fast timings so stall recovery and retries finish quickly in tests. */
export const TEST_TIMINGS: WorkflowEngineOptions = {
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  shutdownGraceMs: 2_000,
  defaultRetry: { attempts: 3, backoff: { type: 'fixed', delayMs: 10 } },
};

/** An engine on a fresh key prefix of the shared Redis; `close` deletes that prefix's keys. */
export async function createHarness(
  options: WorkflowEngineOptions = {},
  where: { redisUrl?: string; secrets?: boolean } = {},
): Promise<Harness> {
  const prefix = `spane-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(where.redisUrl ?? REDIS_URL, { maxRetriesPerRequest: null });
  const registry = new NodeRegistry();
  const testStore = await createTestStore();
  const store = testStore.store;
  let vault: SecretVault | undefined;
  if (where.secrets) {
    const masterKeys = parseMasterKeys(`v1:${randomBytes(32).toString('base64')}`);
    if (!store.secrets) throw new Error('the test store keeps no secrets');
    vault = new SecretVault(store.secrets, { masterKeys });
    options = { ...options, secrets: vault };
  }
  const engines: WorkflowEngine[] = [];
  const make = (o?: WorkflowEngineOptions, r: NodeRegistry = registry): WorkflowEngine => {
    const e = new WorkflowEngine(r, store, redis, { ...TEST_TIMINGS, ...options, ...o, prefix });
    engines.push(e);
    return e;
  };
  const engine = make();
  return {
    engine,
    registry,
    store,
    redis,
    prefix,
    ...(testStore.schema === undefined ? {} : { schema: testStore.schema }),
    ...(vault === undefined ? {} : { vault }),
    peer: (o) => make(o),
    peerWith: (r, o) => make(o, r),
    async close() {
      await Promise.all(engines.map((e) => e.close()));
      await deleteKeys(redis, `${prefix}:*`);
      await testStore.dispose();
      await redis.quit();
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Every key under the prefix that mentions the execution id (jobs, parked sets, …). */
export async function keysOf(redis: Redis, prefix: string, executionId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${prefix}:*${executionId}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  // Job ids also sit as members of the queue's lists and sorted sets.
  for (const state of [
    'wait',
    'active',
    'delayed',
    'prioritized',
    'paused',
    'completed',
    'failed',
  ]) {
    const key = `${prefix}:nodes:${state}`;
    const type = await redis.type(key);
    const members =
      type === 'list'
        ? await redis.lrange(key, 0, -1)
        : type === 'zset'
          ? await redis.zrange(key, 0, -1)
          : [];
    found.push(...members.filter((m) => m.includes(executionId)).map((m) => `${key} ${m}`));
  }
  return found;
}

/** An executor from a function. */
export function exec(fn: INodeExecutor['execute']): INodeExecutor {
  return { execute: fn };
}

/** A promise with its resolve function, for barriers. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Polls `check` until it returns a truthy value (which it resolves with) or the deadline passes. */
export async function until<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function wf(
  id: string,
  nodes: WorkflowDefinition['nodes'],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return { id, name: id, nodes, ...extra };
}

/**
 * A barrier for `parties` callers: `arrive()` resolves for everyone at the same instant,
 * once the last party has arrived.
 */
export function barrier(parties: number): {
  arrive(): Promise<void>;
  readonly arrived: number;
  readonly opened: Promise<void>;
} {
  let arrived = 0;
  const open = deferred();
  return {
    arrive() {
      arrived += 1;
      if (arrived >= parties) open.resolve();
      return open.promise;
    },
    get arrived() {
      return arrived;
    },
    opened: open.promise,
  };
}

/** Records every payload of one engine event (from any engine on the prefix). */
export function record<E extends EngineEventName>(
  engine: WorkflowEngine,
  event: E,
): EngineEventMap[E][] {
  const seen: EngineEventMap[E][] = [];
  engine.on(event, (p) => seen.push(p));
  return seen;
}

/**
 * Engines subscribed to the prefix's event channel. `engine.on` subscribes in the
 * background; wait for this count before relying on an engine that has not started
 * workers (nor called `waitForExecution`) to hear events.
 */
export async function channelSubscribers(
  redis: Redis,
  prefix: string,
  channel: 'main' | 'node' = 'main',
): Promise<number> {
  const name = channel === 'main' ? `${prefix}:channel` : `${prefix}:channel:node`;
  const reply = (await redis.pubsub('NUMSUB', name)) as [string, number | string];
  return Number(reply[1]);
}

/** Job ids in the node queue's list or sorted set of one BullMQ state (`wait`, `active`, …). */
export async function jobsIn(redis: Redis, prefix: string, state: string): Promise<string[]> {
  const key = `${prefix}:nodes:${state}`;
  const type = await redis.type(key);
  if (type === 'list') return redis.lrange(key, 0, -1);
  if (type === 'zset') return redis.zrange(key, 0, -1);
  return [];
}

/**
 * The node queue's jobs waiting to run: BullMQ's wait list and its prioritized set (where
 * fair scheduling puts the jobs of executions without a priority).
 */
export async function waitingJobs(redis: Redis, prefix: string): Promise<string[]> {
  return [
    ...(await jobsIn(redis, prefix, 'wait')),
    ...(await jobsIn(redis, prefix, 'prioritized')),
  ];
}

/** An engine logger that drops everything (for engines whose connection a test cuts). */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
