/**
 * Graceful degradation: how fast the API answers 503 `UNAVAILABLE` while Redis is down.
 * A private `redis-server` on a free loopback port, an engine (memory store, the default
 * dependency monitor: a ping every 1 000 ms, 500 ms timeout) behind `@spane/http` listening
 * on loopback. For Redis stopped (SIGTERM) and Redis frozen (SIGSTOP), prints:
 * - the ms from the outage until the first 503 of a request sent right after it (the
 *   monitor's detection: at once for a stopped server, whose connection closes; for a
 *   frozen one, whose connection stays open, the request's own shared ping, unanswered
 *   within `dependencyWaitMs`, 80 ms);
 * - the latency of `POST /api/workflows/:id/execute` once the outage is known (median,
 *   p99, max over `--requests`), the figure the 100 ms goal is about.
 *
 *   pnpm bench:degrade [--requests 200]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { spaneHttp } from '@spane/http';
import { InMemoryExecutionStore } from '@spane/store-memory';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { median, now } from './measure.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server on `port` (no persistence) and waits until it answers. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await once(child, 'spawn');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    const ok = await probe
      .connect()
      .then(() => probe.ping())
      .then(
        () => true,
        () => false,
      );
    probe.disconnect();
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '200' } } });
  const requests = Number(values.requests);
  const port = await freePort();
  let redisServer = await startRedis(port);
  const registry = new NodeRegistry();
  registry.register('noop', { execute: async () => ({ success: true, data: {} }) });
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, {
    prefix: 'spane-bench-degrade',
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const app = Fastify({ logger: false });
  await app.register(spaneHttp, { engine, auth: { mode: 'disabled' }, metrics: false });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const execute = async (): Promise<{ status: number; ms: number }> => {
    const started = now();
    const res = await fetch(`${base}/api/workflows/w/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await res.arrayBuffer();
    return { status: res.status, ms: now() - started };
  };
  await engine.registerWorkflow({ id: 'w', name: 'w', nodes: [{ id: 'a', type: 'noop' }] });
  let failed = false;
  for (const how of ['stopped', 'SIGSTOPped'] as const) {
    if ((await execute()).status !== 202)
      throw new Error('the engine does not start executions before the outage');
    let outageAt = now();
    if (how === 'stopped') {
      redisServer.kill('SIGTERM');
      await once(redisServer, 'exit');
      outageAt = now();
    } else redisServer.kill('SIGSTOP');
    let first = await execute();
    while (first.status !== 503) first = await execute();
    const firstMs = now() - outageAt;
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const r = await execute();
      if (r.status !== 503) failed = true;
      samples.push(r.ms);
    }
    console.log(
      `Redis ${how}: first 503 after ${firstMs.toFixed(0)} ms (that request took ${first.ms.toFixed(0)} ms); ` +
        `then ${requests} requests: median ${median(samples).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms, max ${Math.max(...samples).toFixed(2)} ms`,
    );
    if (how === 'stopped') redisServer = await startRedis(port);
    else redisServer.kill('SIGCONT');
    const backAt = now();
    while ((await execute()).status !== 202) await new Promise((r) => setTimeout(r, 20));
    console.log(`Redis ${how}: back to 202 ${(now() - backAt).toFixed(0)} ms after the restart`);
  }
  await app.close();
  await engine.close();
  redis.disconnect();
  redisServer.kill('SIGTERM');
  if (failed) {
    console.error('a request answered other than 503 while Redis was down');
    process.exitCode = 1;
  }
}

await main();
