import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { Redis } from 'ioredis';
import { afterEach, expect } from 'vitest';
import type { EngineLogger } from '../src/engine-options.js';
import { WorkflowEngine } from '../src/index.js';
import {
  deleteKeys,
  exec,
  jobsIn,
  REDIS_URL,
  TEST_TIMINGS,
  until,
  waitingJobs,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.js';
import { type PrivateRedis, startPrivateRedis } from './support/private-redis.js';

// The dependency monitor (issue #19): one warning when a part goes down and one when it is
// back; workers take no job while the store is down and resume by themselves.

let pg: PrivatePostgres | undefined;
let privateRedis: PrivateRedis | undefined;
let engine: WorkflowEngine | undefined;
let store: PostgresExecutionStore | undefined;
let prefix = '';

afterEach(async () => {
  await engine?.close();
  await store?.close();
  await pg?.stop();
  await privateRedis?.stop();
  engine = undefined;
  store = undefined;
  pg = undefined;
  privateRedis = undefined;
  if (prefix) {
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
    prefix = '';
  }
});

/** A logger keeping the warnings. */
function warnings(): { warns: string[]; logger: EngineLogger } {
  const warns: string[] = [];
  return {
    warns,
    logger: { debug() {}, info() {}, error() {}, warn: (m: string) => void warns.push(m) },
  };
}

const MONITOR = { dependencyCheckMs: 200, dependencyTimeoutMs: 200 };

it('store down: one warning, the workers take no job until it is back, then they resume by themselves and one warning says so', async () => {
  pg = await startPrivatePostgres();
  store = new PostgresExecutionStore({ connectionString: pg.url, schema: 'spane' });
  await store.migrate();
  const registry = new NodeRegistry();
  let runs = 0;
  registry.register(
    'step',
    exec(async () => {
      runs += 1;
      return { success: true, data: runs };
    }),
  );
  const { warns, logger } = warnings();
  prefix = `spane-test-deps-${process.pid}-${Date.now()}`;
  engine = new WorkflowEngine(registry, store, REDIS_URL, {
    ...TEST_TIMINGS,
    ...MONITOR,
    prefix,
    logger,
  });
  await engine.startWorkers(2);
  await engine.registerWorkflow(wf('one', [{ id: 'a', type: 'step' }]));
  const delayMs = 1_000;
  const id = await engine.enqueueWorkflow('one', {}, { delayMs });
  const enqueuedAt = Date.now();
  await pg.down();
  await until(() => engine?.dependencies.status().store === false, 5_000);
  expect(warns.filter((w) => w.startsWith('store is down'))).toHaveLength(1);

  // Past the start's delay: the job is still in the queue, not taken (taken, it would be
  // active or failed while its run retries the store).
  const redis = new Redis(REDIS_URL);
  try {
    await new Promise((r) => setTimeout(r, Math.max(0, enqueuedAt + delayMs - Date.now()) + 1_000));
    expect(await jobsIn(redis, prefix, 'active')).toEqual([]);
    expect(await jobsIn(redis, prefix, 'failed')).toEqual([]);
    const queued = [
      ...(await jobsIn(redis, prefix, 'delayed')),
      ...(await waitingJobs(redis, prefix)),
    ];
    expect(queued).toHaveLength(1);
    expect(runs).toBe(0);
  } finally {
    await redis.quit();
  }
  expect(warns.filter((w) => w.startsWith('store is down'))).toHaveLength(1);

  await pg.up();
  const done = await engine.waitForExecution(id, { timeoutMs: 15_000 });
  expect(done.status).toBe('completed');
  expect(runs).toBe(1);
  expect(engine.dependencies.status()).toEqual({ redis: true, store: true });
  expect(warns.filter((w) => w.startsWith('store is back'))).toHaveLength(1);
});

it('Redis stopped: marked down at once by the connection, one warning each way, up again after a restart on the same port', async () => {
  privateRedis = await startPrivateRedis();
  const { warns, logger } = warnings();
  prefix = `spane-test-deps-${process.pid}-${Date.now()}`;
  engine = new WorkflowEngine(new NodeRegistry(), new InMemoryExecutionStore(), privateRedis.url, {
    ...TEST_TIMINGS,
    ...MONITOR,
    prefix,
    logger,
  });
  await until(async () => (await engine?.checkHealth())?.redis === true, 5_000);
  const port = privateRedis.port;
  const changes: string[] = [];
  engine.dependencies.onChange((name, up) => changes.push(`${name}:${up ? 'up' : 'down'}`));
  await privateRedis.stop();
  await until(() => engine?.dependencies.status().redis === false, 5_000);
  privateRedis = await startPrivateRedis({ port });
  await until(() => engine?.dependencies.status().redis === true, 10_000);
  expect(changes).toEqual(['redis:down', 'redis:up']);
  expect(warns.filter((w) => w.startsWith('redis is down'))).toHaveLength(1);
  expect(warns.filter((w) => w.startsWith('redis is back'))).toHaveLength(1);
});
