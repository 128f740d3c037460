import { cpSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { deleteKeys, REDIS_URL, silentLogger, TEST_TIMINGS, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { startPrivateRedis } from './support/private-redis.js';
import { noop } from './support/stock-executors.js';

/** Counts the process's unhandled rejections and uncaught exceptions while installed. */
function crashCounter(): { readonly crashes: string[]; remove(): void } {
  const crashes: string[] = [];
  const onCrash = (err: unknown) => crashes.push(String((err as Error)?.message ?? err));
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  return {
    crashes,
    remove() {
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
    },
  };
}

describe('close() at any moment', () => {
  it('never leaves an unhandled error: 100 engines closed 0–19 ms after construction', async () => {
    const prefix = `spane-test-close-${process.pid}`;
    const counter = crashCounter();
    try {
      for (let i = 0; i < 100; i++) {
        const engine = new WorkflowEngine(
          new NodeRegistry(),
          new InMemoryExecutionStore(),
          REDIS_URL,
          {
            ...TEST_TIMINGS,
            prefix,
            logger: silentLogger,
          },
        );
        // Every other engine is also starting its workers when it is closed.
        const starting = i % 2 === 0 ? engine.startWorkers(2).catch(() => {}) : undefined;
        if (i % 20 > 0) await new Promise((r) => setTimeout(r, i % 20));
        await engine.close();
        await starting;
      }
      // A late failure of a connection set-up surfaces within a turn or two.
      await new Promise((r) => setTimeout(r, 200));
      // Before the fix: BullMQ's queue and worker set-up rejected with no listener left
      // ("Connection is closed.") in 24–46 of 100 closes.
      expect(counter.crashes).toEqual([]);
    } finally {
      counter.remove();
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  }, 120_000);
});

/**
 * A second copy of ioredis: its files copied to a temp dir (its dependencies linked), so
 * that `require` gives a module instance of its own, whose `Redis` is not this one.
 */
function secondIoredis(): { Redis: typeof Redis; dir: string } {
  const here = createRequire(import.meta.url);
  const pkgDir = dirname(realpathSync(here.resolve('ioredis/package.json')));
  const dir = mkdtempSync(join(tmpdir(), 'spane-ioredis-copy-'));
  const modules = join(dir, 'node_modules');
  cpSync(pkgDir, join(modules, 'ioredis'), { recursive: true });
  // pnpm keeps a package's dependencies next to it.
  const siblings = dirname(pkgDir);
  for (const name of readdirSync(siblings)) {
    if (name === 'ioredis') continue;
    symlinkSync(realpathSync(join(siblings, name)), join(modules, name));
  }
  const copy = createRequire(join(dir, 'index.js'))('ioredis') as { Redis: typeof Redis };
  return { Redis: copy.Redis, dir };
}

describe('connections', () => {
  let copy: ReturnType<typeof secondIoredis>;
  beforeAll(() => {
    copy = secondIoredis();
  });
  afterAll(() => rmSync(copy.dir, { recursive: true, force: true }));

  it('uses an ioredis instance of another copy of ioredis as given, not 127.0.0.1:6379', async () => {
    expect(copy.Redis).not.toBe(Redis);
    const privateRedis = await startPrivateRedis();
    const client = new copy.Redis(privateRedis.url, { maxRetriesPerRequest: null });
    expect(client instanceof Redis).toBe(false);
    const prefix = `spane-test-copy-${process.pid}`;
    const registry = new NodeRegistry();
    registry.register('noop', noop);
    const store = new InMemoryExecutionStore();
    const engine = new WorkflowEngine(registry, store, client as unknown as Redis, {
      ...TEST_TIMINGS,
      prefix,
      logger: silentLogger,
    });
    const shared = new Redis(REDIS_URL);
    try {
      await engine.registerWorkflow(wf('copy', [{ id: 'A', type: 'noop' }]));
      await engine.startWorkers(1);
      const id = await engine.enqueueWorkflow('copy');
      expect((await engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
      // The engine's keys are on the private Redis; none on the shared one (6379).
      expect(await client.keys(`${prefix}:*`)).not.toEqual([]);
      expect(await shared.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      await engine.close();
      await deleteKeys(shared, `${prefix}:*`);
      await shared.quit();
      await client.quit();
      await privateRedis.stop();
    }
  });

  it('refuses an object with only some of a client’s methods, with a clear error', () => {
    const half = { duplicate() {}, connect() {} };
    expect(
      () => new WorkflowEngine(new NodeRegistry(), new InMemoryExecutionStore(), half as never),
    ).toThrow(InvalidArgumentError);
  });
});
