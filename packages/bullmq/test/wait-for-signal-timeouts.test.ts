import { Queue } from 'bullmq';
import { afterEach, describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { NODE_QUEUE } from '../src/redis-keys.js';
import { type Harness, record, until } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { nodeStatus, registerSteps, rejection, waiting } from './support/signal-waits.js';

let queue: Queue | undefined;
afterEach(async () => {
  await queue?.close();
  queue = undefined;
});

/** When node W of the execution started (its `node:started` event). */
async function waitStarted(
  started: { executionId: string; nodeId: string; timestamp: string }[],
  executionId: string,
): Promise<number> {
  const event = await until(
    () => started.find((e) => e.executionId === executionId && e.nodeId === 'W'),
    5_000,
    'W started',
  );
  return Date.parse(event.timestamp);
}

/** Polls until the job of node W is parked (its execution paused). */
async function parked(h: Harness, executionId: string): Promise<void> {
  await until(
    async () =>
      (await h.redis.sismember(
        `${h.prefix}:parked:${executionId}`,
        nodeJobId(executionId, 'W'),
      )) === 1,
    5_000,
    'W parked',
  );
}

describe('wait-for-signal timeouts', () => {
  it("fails the node for good when no signal comes in time (onTimeout 'fail')", async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    await h.engine.registerWorkflow(waiting('fail', { name: 'go', timeoutMs: 300 }));
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('fail');
    const begun = await waitStarted(started, id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('failed');
    // Not retried (the engine's default retry has 3 attempts).
    expect(state.nodeResults.W).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: "no signal 'go' within 300 ms",
    });
    expect(Date.parse(state.nodeResults.W!.finishedAt!) - begun).toBeGreaterThanOrEqual(300);
    expect(state.nodeResults.B?.status).not.toBe('completed');
    expect(await rejection(h.engine.signal(id, 'go', 1))).toBe('execution-finished');
  });

  it("completes the node with { timedOut: true } (onTimeout 'continue'); a later signal is refused", async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inputs = new Map<string, unknown>();
    h.registry.register('hold', {
      execute: async (ctx) => {
        inputs.set(ctx.executionId, ctx.inputData);
        await held;
        return { success: true, data: Date.now() };
      },
    });
    await h.engine.registerWorkflow(
      waiting('continue', { name: 'go', timeoutMs: 300, onTimeout: 'continue' }, 'hold'),
    );
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('continue');
    const begun = await waitStarted(started, id);
    await until(() => inputs.has(id), 5_000, 'B running');
    const during = await h.engine.getExecution(id);
    expect(during?.nodeResults.W).toMatchObject({ status: 'completed', data: { timedOut: true } });
    expect(Date.parse(during!.nodeResults.W!.finishedAt!) - begun).toBeGreaterThanOrEqual(300);
    expect(inputs.get(id)).toEqual({ timedOut: true });
    expect(await rejection(h.engine.signal(id, 'go', 1))).toBe('timed-out');
    release();
    expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
  });

  it('times out at once when resumed after its timeout passed during a pause', async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    await h.engine.registerWorkflow(
      waiting('late', { name: 'go', timeoutMs: 600, onTimeout: 'continue' }),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('late');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.pauseWorkflow(id);
    // At its timeout the job wakes, finds the execution paused and parks.
    await parked(h, id);
    const resumedAt = Date.now();
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.nodeResults.W).toMatchObject({ data: { timedOut: true }, attempts: 1 });
    // Starting the wait again would take another 600 ms.
    expect((state.nodeResults.B?.data as number) - resumedAt).toBeLessThan(500);
  });

  it('keeps its absolute timeout across a pause and an early wake', async ({ harness }) => {
    const h = await harness();
    registerSteps(h);
    await h.engine.registerWorkflow(
      waiting('early', { name: 'go', timeoutMs: 1_200, onTimeout: 'continue' }),
    );
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('early');
    const begun = await waitStarted(started, id);
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.pauseWorkflow(id);
    // Woken before its time (as any promote would): it parks, since the execution is paused.
    queue = new Queue(NODE_QUEUE, { connection: h.redis, prefix: h.prefix });
    await (await queue.getJob(nodeJobId(id, 'W')))!.promote();
    await parked(h, id);
    await until(() => Date.now() - begun >= 500, 5_000, 'half the wait');
    await h.engine.resumeWorkflow(id);
    // Resumed, it sleeps again until the same time.
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.nodeResults.W).toMatchObject({ data: { timedOut: true }, attempts: 1 });
    const woke = state.nodeResults.B?.data as number;
    expect(woke - begun).toBeGreaterThanOrEqual(1_200);
    // A wait started again at the resume would end 500 ms or more later.
    expect(woke - begun).toBeLessThan(1_650);
    expect(started.filter((e) => e.executionId === id && e.nodeId === 'W')).toHaveLength(1);
  });

  it('a signal racing the timeout: exactly one of them settles the node, every round', async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    const outputs = new Map<string, unknown>();
    const releases = new Map<string, () => void>();
    const seen = new Map<string, () => void>();
    // B holds its execution open until the round has looked at the outcome.
    h.registry.register('hold', {
      execute: async (ctx) => {
        outputs.set(ctx.executionId, ctx.inputData);
        seen.get(ctx.executionId)?.();
        await new Promise<void>((resolve) => releases.set(ctx.executionId, resolve));
        return { success: true, data: null };
      },
    });
    const timeoutMs = 60;
    await h.engine.registerWorkflow(
      waiting('race', { name: 'go', timeoutMs, onTimeout: 'continue' }, 'hold'),
    );
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(8);

    const round = async (i: number) => {
      const id = await h.engine.enqueueWorkflow('race');
      const reached = new Promise<void>((resolve) => seen.set(id, resolve));
      const timeoutAt = (await waitStarted(started, id)) + timeoutMs;
      // Around the timeout: from 20 ms before it to 72 ms after (its job wakes a little late).
      const sendAt = timeoutAt - 20 + i * 4;
      await until(() => Date.now() >= sendAt, 5_000, 'the moment to signal');
      const outcome = await rejection(h.engine.signal(id, 'go', `payload-${i}`));
      await reached;
      const output = outputs.get(id);
      releases.get(id)?.();
      return { outcome, output };
    };
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => round(i)));
    results.forEach(({ outcome, output }, i) => {
      if (outcome === 'accepted') expect(output, `round ${i}`).toBe(`payload-${i}`);
      else {
        expect(outcome, `round ${i}`).toBe('timed-out');
        expect(output, `round ${i}`).toEqual({ timedOut: true });
      }
    });
  });
});
