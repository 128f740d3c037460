import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineLogger, WorkflowEngine } from '../src/index.js';
import { enginePrefix, prefixHashTag } from '../src/redis-cluster.js';
import { TEST_TIMINGS, until, wf } from './support/engine-harness.js';
import { type PrivateRedis, startPrivateRedis } from './support/private-redis.js';
import { noop } from './support/stock-executors.js';

/** A logger that keeps every line. */
function recorder() {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void => {
      lines.push({ level, message, ...(meta ? { meta } : {}) });
    };
  const logger: EngineLogger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  const about = (level: string, text: string) =>
    lines.filter((l) => l.level === level && l.message.includes(text));
  return { lines, logger, about };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function privateRedis(args: string[] = []): Promise<PrivateRedis> {
  const server = await startPrivateRedis({ args });
  cleanup.push(() => server.stop());
  return server;
}

function engineOn(url: string, logger: EngineLogger, requireNoEviction?: boolean) {
  const registry = new NodeRegistry();
  registry.register('noop', noop);
  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), url, {
    ...TEST_TIMINGS,
    logger,
    ...(requireNoEviction === undefined ? {} : { requireNoEviction }),
  });
  cleanup.push(() => engine.close());
  return engine;
}

describe("the Redis server's configuration at start", () => {
  it('warns once per server when the policy evicts and persistence is off, and runs all the same', async () => {
    const server = await privateRedis(['--maxmemory-policy', 'allkeys-lru']);
    const log = recorder();
    const engine = engineOn(server.url, log.logger);
    const second = engineOn(server.url, log.logger);
    await until(
      () =>
        log.about('warn', 'persistence is off').length > 0 &&
        log.about('warn', 'allkeys-lru').length > 0,
      5_000,
      'both warnings',
    );
    await engine.registerWorkflow(wf('w', [{ id: 'A', type: 'noop' }]));
    await engine.startWorkers(1);
    await second.startWorkers(1);
    const id = await engine.enqueueWorkflow('w');
    expect((await engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(log.about('warn', 'persistence is off')).toHaveLength(1);
    expect(log.about('warn', 'allkeys-lru')).toHaveLength(1);
    expect(log.about('warn', 'allkeys-lru')[0]?.meta).toMatchObject({
      server: `127.0.0.1:${server.port}`,
      maxmemoryPolicy: 'allkeys-lru',
    });
  });

  it('with requireNoEviction refuses startWorkers and then every call on an evicting Redis', async () => {
    const server = await privateRedis(['--maxmemory-policy', 'volatile-lru']);
    const log = recorder();
    const engine = engineOn(server.url, log.logger, true);
    const refused = await engine.startWorkers(1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toMatch(/volatile-lru.*requireNoEviction/);
    const call = await engine
      .registerWorkflow(wf('w', [{ id: 'A', type: 'noop' }]))
      .catch((e: unknown) => e);
    expect(call).toBeInstanceOf(InvalidArgumentError);
    expect(log.about('error', 'refused (requireNoEviction)')).toHaveLength(1);
  });

  it('with requireNoEviction accepts noeviction with RDB save points, and warns about nothing', async () => {
    // Save points make redis-server write a dump when it stops: into a directory of its own.
    const dir = await mkdtemp(join(tmpdir(), 'spane-redis-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const server = await privateRedis(['--save', '900 1', '--dir', dir]);
    const log = recorder();
    const engine = engineOn(server.url, log.logger, true);
    await engine.startWorkers(1);
    await engine.registerWorkflow(wf('w', [{ id: 'A', type: 'noop' }]));
    const id = await engine.enqueueWorkflow('w');
    expect((await engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('reads the policy from INFO where CONFIG is refused (managed Redis) and skips persistence with a debug line', async () => {
    const server = await privateRedis([
      '--maxmemory-policy',
      'allkeys-random',
      '--rename-command',
      'CONFIG',
      '',
    ]);
    const probe = new Redis(server.url);
    const configRefused = await probe.config('GET', 'save').catch((e: unknown) => e);
    probe.disconnect();
    expect(configRefused).toBeInstanceOf(Error);
    const log = recorder();
    const engine = engineOn(server.url, log.logger, true);
    const refused = await engine.startWorkers(1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toContain('allkeys-random');
    expect(log.about('debug', 'persistence unknown')).toHaveLength(1);
    expect(log.about('warn', 'persistence is off')).toEqual([]);
  });
});

describe('hash-tagged prefixes', () => {
  it('reads the hash tag of a prefix as Redis Cluster does', () => {
    expect(prefixHashTag('{spane}')).toBe('spane');
    expect(prefixHashTag('app:{a}:b')).toBe('a');
    expect(prefixHashTag('{a}{b}')).toBe('a');
    expect(prefixHashTag('spane')).toBeUndefined();
    expect(prefixHashTag('{}spane')).toBeUndefined();
    expect(prefixHashTag('{spane')).toBeUndefined();
    expect(prefixHashTag('}{spane}')).toBe('spane');
  });

  it('defaults to {spane} over a Cluster and refuses a prefix without a tag there only', () => {
    expect(enginePrefix(undefined, false)).toBe('spane');
    expect(enginePrefix(undefined, true)).toBe('{spane}');
    expect(enginePrefix('spane-x', false)).toBe('spane-x');
    expect(enginePrefix('{spane-x}', true)).toBe('{spane-x}');
    expect(() => enginePrefix('spane-x', true)).toThrow(InvalidArgumentError);
    expect(() => enginePrefix('', false)).toThrow(InvalidArgumentError);
  });
});
