import { compileWorkflow } from '@spane/core';
import { Queue } from 'bullmq';
import { describe, expect, it as plain } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { RedisKeys } from '../src/redis-keys.js';
import { RiderIndex, shareOut } from '../src/riders.js';
import { addedFor, fan, warmUp } from './support/carried-shapes.js';
import { deferred, exec, type Harness, jobsIn, until } from './support/engine-harness.js';
import { type HarnessFactory, it } from './support/harness-fixture.js';

// A fan-out wider than the free worker slots: the children that find no slot ride in the
// jobs of the siblings that do (and in the completing job), instead of a job each.

/**
 * A fast `step` type (as in carried-shapes) whose run of `holdAt` waits for `release`
 * (or its abort) — recording runs in order, and each run's attempt.
 */
function registerHeldStep(h: Harness, holdAt: string, fail?: { attempt: number }) {
  const runs: string[] = [];
  const attempts = new Map<string, number>();
  const held = deferred();
  const release = deferred();
  h.registry.register(
    'step',
    exec(async (ctx) => {
      runs.push(ctx.nodeId);
      attempts.set(ctx.nodeId, ctx.attempt);
      if (ctx.nodeId === holdAt && (fail === undefined || ctx.attempt === fail.attempt)) {
        held.resolve();
        if (fail !== undefined) throw new Error(`attempt ${ctx.attempt} of ${holdAt} fails`);
        await Promise.race([
          release.promise,
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          ),
        ]);
      }
      return { success: true, data: { n: ((ctx.inputData as { n?: number })?.n ?? 0) + 1 } };
    }),
    { retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 3_000 } } },
  );
  return { runs, attempts, held: held.promise, release: () => release.resolve() };
}

/**
 * A 9-wide fan of `step` on a process with 3 worker slots that knows the type runs fast,
 * started, with `holdAt` holding (see registerHeldStep) — B2's riders are B5 and B8.
 */
async function heldFan(
  harness: HarnessFactory,
  name: string,
  holdAt: string,
  fail?: { attempt: number },
) {
  const h = await harness();
  const step = registerHeldStep(h, holdAt, fail);
  await h.engine.startWorkers(3);
  await warmUp(h);
  await h.engine.registerWorkflow(fan(name, 9));
  const id = await h.engine.enqueueWorkflow(name, { n: 0 });
  return { h, id, ...step };
}

/** Status of each node of an execution, by node id. */
async function statuses(h: Harness, id: string): Promise<Record<string, string | undefined>> {
  const state = await h.engine.getExecution(id);
  return Object.fromEntries(
    Object.entries(state?.nodeResults ?? {}).map(([k, n]) => [k, n.status]),
  );
}

describe('riders: a fan-out wider than the free worker slots', () => {
  it('the children without a slot ride in the jobs of those with one: three jobs for eleven nodes, each run once', async ({
    harness,
  }) => {
    const h = await harness();
    const { runs } = registerHeldStep(h, 'none');
    await h.engine.startWorkers(3);
    await warmUp(h);
    await h.engine.registerWorkflow(fan('wide', 9));
    runs.length = 0;
    const id = await h.engine.enqueueWorkflow('wide', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    // A carries B1 (and B4, B7); B2 and B3 go to the two free workers, each with two riders.
    expect((await addedFor(h, id)).sort()).toEqual(['A', 'B2', 'B3']);
    expect([...runs].sort()).toEqual(
      ['A', ...Array.from({ length: 9 }, (_, i) => `B${i + 1}`), 'J'].sort(),
    );
    for (const n of Object.values(state.nodeResults)) {
      expect(n).toMatchObject({ status: 'completed', attempts: 1 });
    }
    // A rider runs after its carrier's own node, in its job.
    expect(runs.indexOf('B5')).toBeGreaterThan(runs.indexOf('B2'));
    expect(runs.indexOf('B8')).toBeGreaterThan(runs.indexOf('B5'));
  });

  it('while riders wait for their carrier: explain says they run, reconcile leaves them alone; then they run in that job', async ({
    harness,
  }) => {
    const { h, id, runs, held, release } = await heldFan(harness, 'held', 'B2');
    await held;
    // Everything but B2 and its riders (B5, B8) and the join ends; only B2's job is left.
    await until(async () => {
      const s = await statuses(h, id);
      return ['B1', 'B3', 'B4', 'B6', 'B7', 'B9'].every((n) => s[n] === 'completed');
    }, 10_000);
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 1, 5_000);
    const s = await statuses(h, id);
    expect([s.B5, s.B8]).toEqual(['running', 'running']);
    const explained = await h.engine.explain(id);
    for (const rider of ['B5', 'B8']) {
      const reason = explained.nodes.find((n) => n.nodeId === rider)?.reason;
      expect(reason).toMatchObject({ kind: 'running', attempt: 1, workerAlive: true });
    }
    expect((await h.engine.reconcile()).requeued).toBe(0);
    expect(runs).not.toContain('B5');
    release();
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect((await addedFor(h, id)).sort()).toEqual(['A', 'B2', 'B3']);
    for (const rider of ['B5', 'B8']) {
      expect(state.nodeResults[rider]).toMatchObject({ status: 'completed', attempts: 1 });
      expect(runs.filter((r) => r === rider)).toHaveLength(1);
    }
  });

  it('a cancel while riders wait: none of them runs', async ({ harness }) => {
    const { h, id, runs, held } = await heldFan(harness, 'cancelled', 'B2');
    await held;
    await h.engine.cancelWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('cancelled');
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 0, 5_000);
    expect(runs).not.toContain('B5');
    expect(runs).not.toContain('B8');
    for (const n of ['B5', 'B8', 'J']) expect(state.nodeResults[n]?.status).toBe('cancelled');
  });

  it('a pause while riders wait: they get jobs of their own, which park; resume runs them as first attempts', async ({
    harness,
  }) => {
    const { h, id, runs, held, release } = await heldFan(harness, 'paused', 'B2');
    await held;
    await h.engine.pauseWorkflow(id);
    release();
    // B2 is recorded; its riders' begins find the execution paused: each gets a job, parked.
    await until(async () => {
      const added = await addedFor(h, id);
      return added.includes('B5') && added.includes('B8');
    }, 5_000);
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 0, 5_000);
    expect(runs).not.toContain('B5');
    expect((await h.engine.getExecution(id))?.status).toBe('paused');
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    for (const rider of ['B5', 'B8']) {
      expect(state.nodeResults[rider]).toMatchObject({ status: 'completed', attempts: 1 });
    }
  });

  it('a carrier whose own node fails and is retried later: its riders get jobs of their own at once, as first attempts', async ({
    harness,
  }) => {
    const { h, id, attempts } = await heldFan(harness, 'retried', 'B2', { attempt: 1 });
    // B2 waits 3 s for its retry; its riders do not wait with it.
    await until(async () => {
      const s = await statuses(h, id);
      return s.B5 === 'completed' && s.B8 === 'completed';
    }, 2_000);
    expect((await statuses(h, id)).B2).toBe('delayed');
    expect(attempts.get('B5')).toBe(1);
    expect(attempts.get('B8')).toBe(1);
    expect((await addedFor(h, id)).sort()).toEqual(['A', 'B2', 'B3', 'B5', 'B8']);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.B2).toMatchObject({ status: 'completed', attempts: 2 });
  });
});

describe('shareOut', () => {
  plain(
    'deals the children in turn: the completing job first, then each carrier, within their room',
    () => {
      const kids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
      const even = shareOut(kids, 5, ['x', 'y'], 5);
      expect(even.self).toEqual(['c1', 'c4', 'c7']);
      expect(Object.fromEntries(even.riders)).toEqual({ x: ['c2', 'c5'], y: ['c3', 'c6'] });
      expect(even.left).toEqual([]);
      // Room runs out: the completing job takes one, each carrier two; the rest get jobs.
      const full = shareOut(kids, 1, ['x', 'y'], 2);
      expect(full.self).toEqual(['c1']);
      expect(Object.fromEntries(full.riders)).toEqual({ x: ['c2', 'c4'], y: ['c3', 'c5'] });
      expect(full.left).toEqual(['c6', 'c7']);
      // No carrier: the completing job alone; a carrier given nothing is left out.
      expect(shareOut(kids, 2, [], 4)).toMatchObject({ self: ['c1', 'c2'], left: kids.slice(2) });
      expect(shareOut(['c1'], 0, ['x', 'y'], 1).riders).toEqual(new Map([['x', ['c1']]]));
    },
  );
});

describe('RiderIndex', () => {
  it('finds a rider’s carrier only while the carrier’s job is there to run it', async ({
    harness,
  }) => {
    const h = await harness();
    const plan = compileWorkflow(fan('indexed', 3));
    const queue = new Queue('riders-probe', { connection: h.redis, prefix: h.prefix });
    try {
      const index = new RiderIndex({
        redis: h.redis,
        keys: new RedisKeys(h.prefix),
        queues: { forNode: () => queue as never },
      });
      await index.record('e1', new Map([['B1', ['B2', 'B3']]]));
      // No job of B1: nobody carries B2 or B3.
      expect(await index.carriers(plan, 'e1', ['B2', 'B3', 'A'])).toEqual(new Map());
      await queue.add('step', {}, { jobId: nodeJobId('e1', 'B1') });
      const found = await index.carriers(plan, 'e1', ['B2', 'B3', 'A']);
      expect(found).toEqual(
        new Map([
          ['B2', 'B1'],
          ['B3', 'B1'],
        ]),
      );
      expect(await h.redis.pttl(new RedisKeys(h.prefix).riders('e1'))).toBeGreaterThan(3_500_000);
    } finally {
      await queue.close();
    }
  });
});
