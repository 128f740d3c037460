import { expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { TEST_TIMINGS, until } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';

it('a Redis that stops answering is logged (warn) once past redisStallWarnMs, and so is its recovery', async ({
  harness,
}) => {
  const h = await harness();
  // The engine reaches Redis through a proxy that holds its commands (a stall: nothing
  // fails, nothing answers), as a paused Redis or a stuck network would.
  const proxy = await createRedisProxy();
  const warnings: { message: string; meta: Record<string, unknown> | undefined }[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (message: string, meta?: Record<string, unknown>) => warnings.push({ message, meta }),
    error() {},
  };
  const engine = new WorkflowEngine(h.registry, h.store, proxy.url, {
    ...TEST_TIMINGS,
    prefix: h.prefix,
    redisStallWarnMs: 300,
    logger,
  });
  const stalled = () => warnings.filter((w) => w.message.startsWith('redis has not answered'));
  const recovered = () => warnings.filter((w) => w.message.startsWith('redis answers again'));
  try {
    await engine.startWorkers(1);
    // Nothing while Redis answers.
    await new Promise((r) => setTimeout(r, 700));
    expect(stalled()).toEqual([]);
    proxy.hold();
    await until(() => stalled().length > 0, 5_000, 'the stall warning');
    // Once per stall, however long it lasts.
    await new Promise((r) => setTimeout(r, 900));
    expect(stalled()).toHaveLength(1);
    expect(recovered()).toEqual([]);
    proxy.release();
    await until(() => recovered().length > 0, 5_000, 'the recovery line');
    expect(recovered()).toHaveLength(1);
    expect(recovered()[0]!.meta?.stalledMs).toBeGreaterThanOrEqual(1_000);
  } finally {
    proxy.release();
    await engine.close();
    await proxy.close();
  }
});
