import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowEngine, type WorkflowEngineOptions } from '@spane/bullmq';
import {
  type ExecutionState,
  type ExecutionStore,
  NodeRegistry,
  SecretVault,
  type TenantScope,
} from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import {
  ApiKeyStore,
  type SpaneHttpOptions,
  spaneFrameworkErrors,
  spaneHttp,
} from '../../src/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** API keys of the tests: two tenants with admin keys, and single-scope keys of tenant A. */
export const KEYS = {
  adminA: 'tenant-a-admin-key-000001',
  adminB: 'tenant-b-admin-key-000001',
  readA: 'tenant-a-read-key-0000001',
  executeA: 'tenant-a-execute-key-0001',
} as const;

export const KEY_SPEC = [
  `${KEYS.adminA}:tenant-a:admin`,
  `${KEYS.adminB}:tenant-b:admin`,
  `${KEYS.readA}:tenant-a:read`,
  `${KEYS.executeA}:tenant-a:execute`,
].join(',');

export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** Engine diagnostics off: tests that cut connections would print noise. */
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface HttpHarness {
  app: FastifyInstance;
  engine: WorkflowEngine;
  registry: NodeRegistry;
  store: ExecutionStore;
  /** The plugin's secret vault (memory store, a random master key); absent with `secrets: false`. */
  vault: SecretVault | undefined;
  prefix: string;
  /** The scope of an execution's own tenant (read from the store), for engine calls. */
  scopeOf(executionId: string): Promise<TenantScope>;
  /** `engine.waitForExecution` in the execution's own tenant. */
  waitForExecution(executionId: string, options?: { timeoutMs?: number }): Promise<ExecutionState>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  http?: Partial<SpaneHttpOptions>;
  engine?: WorkflowEngineOptions;
  /** Give the plugin a secret vault (default true). */
  secrets?: boolean;
  /** Start workers (default true). */
  workers?: boolean;
  /** Register the plugin under this fastify prefix. */
  mount?: string;
  /** More options of the fastify app (e.g. `spaneServerOptions(...)`). */
  fastify?: Record<string, unknown>;
  /** Routes and hooks of the host's own, added before the plugin. */
  setup?: (app: FastifyInstance) => void;
  /**
   * Keys created through `/api/keys` are kept in the memory store (`auth.stored`), unless
   * false. Ignored when `http.auth` is given.
   */
  storedKeys?: boolean;
  /** The Redis of the engine (default: the shared test Redis). */
  redisUrl?: string;
  /** The engine's store, with secrets and API keys (default: a new memory store); closed by `close()`. */
  store?: ExecutionStore & Required<Pick<ExecutionStore, 'secrets' | 'apiKeys'>>;
}

/**
 * A real engine (WorkflowEngine on a fresh key prefix of the shared Redis, memory store)
 * behind the plugin in a fastify app that is never listened on: tests use `app.inject`.
 * Node types: `echo` (returns its input), `fail` (fails for good), `wait` (waits for its
 * config.ms or until aborted), `route` (returns nextNodes from config.next), `throw` (throws
 * an Error, so the DLQ item has a stack).
 */
export async function createHttpHarness(options: HarnessOptions = {}): Promise<HttpHarness> {
  const prefix = `spane-http-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(options.redisUrl ?? REDIS_URL, { maxRetriesPerRequest: null });
  const registry = new NodeRegistry();
  registry.register('echo', { execute: async (ctx) => ({ success: true, data: ctx.inputData }) });
  registry.register('fail', {
    execute: async () => ({ success: false, error: 'boom', retryable: false }),
  });
  registry.register('wait', {
    execute: (ctx) =>
      new Promise((resolve) => {
        const ms = Number((ctx.nodeConfig as { ms?: number }).ms ?? 60_000);
        const timer = setTimeout(() => resolve({ success: true, data: { waited: ms } }), ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve({ success: false, error: 'aborted' });
        });
      }),
  });
  registry.register('throw', {
    execute: async () => {
      throw new Error('kaboom');
    },
  });
  registry.register('route', {
    execute: async (ctx) => ({
      success: true,
      data: ctx.inputData,
      nextNodes: (ctx.nodeConfig as { next?: string[] }).next ?? [],
    }),
  });
  const store = options.store ?? new InMemoryExecutionStore();
  const vault =
    (options.secrets ?? true)
      ? new SecretVault(store.secrets, { masterKeys: [{ id: 'test', key: randomBytes(32) }] })
      : undefined;
  const engine = new WorkflowEngine(registry, store, redis, {
    prefix,
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
    shutdownGraceMs: 1_000,
    defaultRetry: { attempts: 1 },
    logger: silentLogger,
    ...options.engine,
  });
  if (options.workers ?? true) await engine.startWorkers(4);
  // As the README advises a host: router errors in the API's format too.
  const app = Fastify({
    logger: false,
    frameworkErrors: spaneFrameworkErrors,
    ...options.fastify,
  });
  options.setup?.(app);
  await app.register(spaneHttp, {
    engine,
    auth: {
      mode: 'keys',
      keys: ApiKeyStore.parse(KEY_SPEC),
      ...(options.storedKeys === false ? {} : { stored: store.apiKeys }),
    },
    ...(vault ? { secrets: vault } : {}),
    ...options.http,
    ...(options.mount ? { prefix: options.mount } : {}),
  } as SpaneHttpOptions);
  await app.ready();
  return {
    app,
    engine,
    registry,
    store,
    vault,
    prefix,
    async scopeOf(executionId) {
      return { tenantId: (await store.getExecutionSummary(executionId))?.tenantId };
    },
    async waitForExecution(executionId, waitOptions) {
      const scope = { tenantId: (await store.getExecutionSummary(executionId))?.tenantId };
      return engine.waitForExecution(executionId, waitOptions, scope);
    },
    async close() {
      await app.close();
      await engine.close();
      await deleteKeys(redis, `${prefix}:*`);
      await store.close();
      await redis.quit();
    },
  };
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A workflow definition with sensible defaults. */
export function wf(
  id: string,
  nodes: { id: string; type: string; [key: string]: unknown }[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, name: id, nodes, ...extra };
}

/** Polls until `check` returns a truthy value. */
export async function until<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
