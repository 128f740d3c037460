import { describe, expect } from 'vitest';
import { CarriedRuns, carrierOf } from '../src/carried-runs.js';
import { Handoffs } from '../src/handoffs.js';
import { followUps } from '../src/recorded-work.js';
import { addedFor, addedJobs, chain, fan, registerStep, warmUp } from './support/carried-shapes.js';
import {
  deferred,
  exec,
  type Harness,
  jobsIn,
  record,
  until,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

// A node's completion that starts a child in this process may run that child in the same
// job (a carried run): no job is added for the next node of a chain.

/**
 * Registers `type`: its run resolves `running` and never ends until its signal aborts
 * (then it rejects with the reason, which `stopped` gets).
 */
function registerUntilAborted(
  h: Harness,
  type: string,
): { running: Promise<void>; stopped: Promise<string> } {
  const running = deferred();
  const stopped = deferred<string>();
  h.registry.register(
    type,
    exec(
      (ctx) =>
        new Promise((_, reject) => {
          running.resolve();
          ctx.signal.addEventListener('abort', () => {
            stopped.resolve(String(ctx.signal.reason?.message ?? ctx.signal.reason));
            reject(ctx.signal.reason);
          });
        }),
    ),
  );
  return { running: running.promise, stopped: stopped.promise };
}

describe('runs carried by their parent’s job', () => {
  it('a chain runs in its first node’s job: one job added, every node recorded once, in order', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = registerStep(h);
    await h.engine.registerWorkflow(chain('chain', 6));
    const started = record(h.engine, 'node:started');
    const completed = record(h.engine, 'node:completed');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('chain', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(runs).toEqual(['N1', 'N2', 'N3', 'N4', 'N5', 'N6']);
    expect(state.nodeResults.N6?.data).toEqual({ n: 6 });
    for (const n of Object.values(state.nodeResults)) {
      expect(n).toMatchObject({ status: 'completed', attempts: 1 });
    }
    expect(await addedJobs(h)).toHaveLength(1);
    await until(() => completed.length === 6, 5_000, 'node:completed events');
    expect(started.map((e) => e.nodeId)).toEqual(runs);
    // Each run keeps its own span and log lines.
    const spans = await h.engine.getTrace(id);
    expect(spans.map((s) => s.nodeId).sort()).toEqual(['N1', 'N2', 'N3', 'N4', 'N5', 'N6']);
    const logs = await h.engine.getLogs(id);
    expect(logs.filter((l) => / completed in /.test(l.message))).toHaveLength(6);
  });

  it('a burst of chains on busy workers: each chain still runs in one job', async ({ harness }) => {
    const h = await harness();
    registerStep(h);
    await h.engine.registerWorkflow(chain('burst', 4));
    await h.engine.startWorkers(2);
    const ids = await Promise.all(
      Array.from({ length: 30 }, () => h.engine.enqueueWorkflow('burst', { n: 0 })),
    );
    for (const id of ids) {
      const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
      expect(state.nodeResults.N4).toMatchObject({ status: 'completed', data: { n: 4 } });
    }
    // The carried node runs in its parent's slot: no free slot is needed.
    expect(await addedJobs(h)).toHaveLength(30);
  });

  it('maxCarriedRuns caps the runs a job carries; 0 gives every node its own job', async ({
    harness,
  }) => {
    const capped = await harness({ maxCarriedRuns: 2 });
    registerStep(capped);
    await capped.engine.registerWorkflow(chain('capped', 7));
    await capped.engine.startWorkers(2);
    const a = await capped.engine.enqueueWorkflow('capped', { n: 0 });
    expect((await capped.engine.waitForExecution(a, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    // N1 carries N2, N3; N4 carries N5, N6; N7.
    expect(await addedJobs(capped)).toHaveLength(3);

    const off = await harness({ maxCarriedRuns: 0 });
    registerStep(off);
    await off.engine.registerWorkflow(chain('off', 4));
    await off.engine.startWorkers(2);
    const b = await off.engine.enqueueWorkflow('off', { n: 0 });
    expect((await off.engine.waitForExecution(b, { timeoutMs: 10_000 })).status).toBe('completed');
    expect(await addedJobs(off)).toHaveLength(4);
    await expect(harness({ maxCarriedRuns: -1 })).rejects.toThrow(/maxCarriedRuns/);
  });

  it('a join runs in its last parent’s job; a node of a type with a circuit breaker and a fan-out’s other children get jobs of their own', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    h.registry.register(
      'guarded',
      exec(async () => ({ success: true, data: 1 })),
      { breaker: { failureRate: 0.5, minimumRuns: 5, windowMs: 10_000, openMs: 1_000 } },
    );
    await h.engine.registerWorkflow(
      wf('shape', [
        { id: 'A', type: 'step' },
        { id: 'B1', type: 'step', inputs: ['A'] },
        { id: 'B2', type: 'step', inputs: ['A'] },
        { id: 'J', type: 'step', inputs: ['B1', 'B2'] },
        { id: 'G', type: 'guarded', inputs: ['J'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('shape', { n: 0 });
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    // A carries B1; B2 has a job; J (ready when the last of B1, B2 completed) runs in that
    // parent's job; G (a breaker) has a job.
    const added = (await addedJobs(h)).map((j) => j.split('.').pop());
    expect(added.sort()).toEqual(['A', 'B2', 'G']);
  });

  it('a job of a limited type’s queue carries nothing (it holds one of that type’s slots)', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    h.registry.register(
      'limited',
      exec(async () => ({ success: true, data: { n: 1 } })),
      { concurrency: 1 },
    );
    await h.engine.registerWorkflow(
      wf('limits', [
        { id: 'L', type: 'limited' },
        { id: 'S', type: 'step', inputs: ['L'] },
        { id: 'T', type: 'step', inputs: ['S'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('limits', {});
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.nodeResults.T).toMatchObject({ status: 'completed', data: { n: 3 } });
    // L's job (its type's queue) carried nothing; S's job (the node queue) carried T.
    const queues = await h.redis.keys(`${h.prefix}:*:events`);
    const added: string[] = [];
    for (const key of queues) {
      for (const [, f] of await h.redis.xrange(key, '-', '+')) {
        if (f[f.indexOf('event') + 1] === 'added') added.push(f[f.indexOf('jobId') + 1] ?? '');
      }
    }
    expect(added.map((j) => j.split('.').pop()).sort()).toEqual(['L', 'S']);
  });

  it('a carried attempt that fails is retried in a job of its own, as the next attempt, with the policy’s next delay', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    let calls = 0;
    h.registry.register(
      'flaky',
      exec(async (ctx) => {
        calls += 1;
        if (ctx.attempt < 3) throw new Error(`try ${ctx.attempt} fails`);
        return { success: true, data: { attempt: ctx.attempt } };
      }),
      { retry: { attempts: 3, backoff: { type: 'exponential', delayMs: 10 } } },
    );
    await h.engine.registerWorkflow(
      wf('retry', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'flaky', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
      ]),
    );
    const retrying = record(h.engine, 'node:retrying');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('retry', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(calls).toBe(3);
    expect(state.nodeResults.B).toMatchObject({ status: 'completed', attempts: 3 });
    expect(state.nodeResults.B?.data).toEqual({ attempt: 3 });
    expect(state.nodeResults.C).toMatchObject({ status: 'completed', attempts: 1 });
    await until(() => retrying.length === 2, 5_000, 'node:retrying');
    // The policy's delays in order: the job that took over counts the carried attempt.
    expect(retrying.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    // A's job carried B's first attempt; B's retry had its own job, which carried C.
    expect((await addedJobs(h)).map((j) => j.split('.').pop())).toEqual(['A', 'B']);
  });

  it('a carried attempt’s final failure fails the execution and dead-letters the node', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    h.registry.register(
      'broken',
      exec(async () => {
        throw new Error('always fails');
      }),
    );
    await h.engine.registerWorkflow(
      wf('fails', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'broken', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('fails', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');
    expect(state.nodeResults.B).toMatchObject({ status: 'failed', error: 'always fails' });
    // C never started: the failure ended the execution.
    expect(state.nodeResults.C?.status).toBe('pending');
    const dlq = await h.engine.getDLQItems();
    expect(dlq.map((i) => i.nodeId)).toEqual(['B']);
  });

  it('while a carried run goes on: explain says it runs, reconcile leaves it alone, cancel stops it', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    const { running, stopped } = registerUntilAborted(h, 'waits');
    await h.engine.registerWorkflow(
      wf('held', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'waits', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('held', { n: 0 });
    await running;
    // B has no job: A's job carries it.
    expect((await addedJobs(h)).map((j) => j.split('.').pop())).toEqual(['A']);
    expect(await jobsIn(h.redis, h.prefix, 'active')).toEqual([expect.stringMatching(/\.A$/)]);
    const b = (await h.engine.explain(id)).nodes.find((n) => n.nodeId === 'B');
    expect(b?.reason).toMatchObject({ kind: 'running', attempt: 1, workerAlive: true });
    const pass = await h.engine.reconcile();
    expect(pass.requeued).toBe(0);
    expect(await addedJobs(h)).toHaveLength(1);

    await h.engine.cancelWorkflow(id);
    expect(await stopped).toMatch(/cancel/i);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('cancelled');
    expect(state.nodeResults.C?.status).not.toBe('completed');
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 0, 5_000);
  });

  it('a join carried by its last parent’s job: explain says it runs, reconcile leaves it alone, cancel stops it', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    const { running } = registerUntilAborted(h, 'waits');
    await h.engine.registerWorkflow(
      wf('joined', [
        { id: 'A', type: 'step' },
        { id: 'B1', type: 'step', inputs: ['A'] },
        { id: 'B2', type: 'step', inputs: ['A'] },
        { id: 'B3', type: 'step', inputs: ['A'] },
        { id: 'J', type: 'waits', inputs: ['B1', 'B2', 'B3'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('joined', { n: 0 });
    await running;
    const added = (await addedJobs(h)).map((j) => j.split('.').pop());
    expect(added.sort()).toEqual(['A', 'B2', 'B3']);
    const j = (await h.engine.explain(id)).nodes.find((n) => n.nodeId === 'J');
    expect(j?.reason).toMatchObject({ kind: 'running', attempt: 1, workerAlive: true });
    expect((await h.engine.reconcile()).requeued).toBe(0);
    expect(await addedJobs(h)).toHaveLength(3);
    await h.engine.cancelWorkflow(id);
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('cancelled');
  });

  it('a join whose carried begin finds its execution paused gets a job of its own, which parks; resume runs it', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    const b1Done = deferred();
    h.engine.on('node:completed', (e) => {
      if (e.nodeId === 'B1') b1Done.resolve();
    });
    h.registry.register(
      'pauses',
      exec(async (ctx) => {
        // The last parent of J: the execution is paused before its completion makes J ready.
        await b1Done.promise;
        await h.engine.pauseWorkflow(ctx.executionId);
        return { success: true, data: { n: 1 } };
      }),
    );
    await h.engine.registerWorkflow(
      wf('paused-join', [
        { id: 'A', type: 'step' },
        { id: 'B1', type: 'step', inputs: ['A'] },
        { id: 'B2', type: 'pauses', inputs: ['A'] },
        { id: 'J', type: 'step', inputs: ['B1', 'B2'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('paused-join', { n: 0 });
    await until(async () => (await addedJobs(h)).some((j) => j.endsWith('.J')), 5_000, 'J job');
    await until(
      async () => (await h.engine.getExecution(id))?.nodeResults.J?.status === 'queued',
      5_000,
      'J parked',
    );
    expect((await h.engine.getExecution(id))?.status).toBe('paused');
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.J).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a carried run cut short by a shutdown runs again in another engine, under the same attempt', async ({
    harness,
  }) => {
    const h = await harness();
    registerStep(h);
    const { running } = registerUntilAborted(h, 'slow');
    await h.engine.registerWorkflow(
      wf('moved', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'slow', inputs: ['A'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('moved', { n: 0 });
    await running;
    await h.engine.close();
    // Another process with a `slow` type that completes.
    const registry = new (await import('@spane/core')).NodeRegistry();
    registry.register(
      'step',
      exec(async () => ({ success: true, data: 0 })),
    );
    registry.register(
      'slow',
      exec(async (ctx) => ({ success: true, data: { attempt: ctx.attempt } })),
    );
    const peer = h.peerWith(registry);
    await peer.startWorkers(2);
    const state = await peer.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.A).toMatchObject({ status: 'completed', attempts: 1 });
    expect(state.nodeResults.B).toMatchObject({ status: 'completed', attempts: 1 });
    expect(state.nodeResults.B?.data).toEqual({ attempt: 1 });
  });
});

describe('a fan-out of a fast type carried by one job', () => {
  it('on a process without a free worker slot, the job carries every child and the join: one job', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = registerStep(h);
    await h.engine.startWorkers(1);
    await warmUp(h);
    await h.engine.registerWorkflow(fan('fan', 5));
    const completed = record(h.engine, 'node:completed');
    runs.length = 0;
    const id = await h.engine.enqueueWorkflow('fan', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    expect(await addedFor(h, id)).toEqual(['A']);
    expect(runs).toEqual(['A', 'B1', 'B2', 'B3', 'B4', 'B5', 'J']);
    for (const n of Object.values(state.nodeResults)) {
      expect(n).toMatchObject({ status: 'completed', attempts: 1 });
    }
    expect(state.nodeResults.J?.data).toEqual({ n: 1 });
    await until(() => completed.filter((e) => e.executionId === id).length === 7, 5_000);
  });

  it('maxCarriedRuns caps it: the children past the cap get jobs of their own', async ({
    harness,
  }) => {
    const h = await harness({ maxCarriedRuns: 2 });
    registerStep(h);
    await h.engine.startWorkers(1);
    await warmUp(h);
    await h.engine.registerWorkflow(fan('capped-fan', 4));
    const id = await h.engine.enqueueWorkflow('capped-fan', { n: 0 });
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    // A carries B1, B2; B3 and B4 get jobs (the join runs in the job of whichever ends last).
    expect((await addedFor(h, id)).sort()).toEqual(['A', 'B3', 'B4']);
  });

  it('runs whose completions are recorded at once share the job’s maxCarriedRuns as they choose', async ({
    harness,
  }) => {
    const h = await harness({ maxCarriedRuns: 3 });
    registerStep(h);
    await h.engine.startWorkers(1);
    await warmUp(h);
    // A carries B1, B2 (2 of 3); B1's completion takes the last run (C11); B2's, recorded
    // while B1's may still be, finds none left.
    await h.engine.registerWorkflow(
      wf('shared-budget', [
        { id: 'A', type: 'step' },
        { id: 'B1', type: 'step', inputs: ['A'] },
        { id: 'B2', type: 'step', inputs: ['A'] },
        { id: 'C11', type: 'step', inputs: ['B1'] },
        { id: 'C12', type: 'step', inputs: ['B1'] },
        { id: 'C21', type: 'step', inputs: ['B2'] },
        { id: 'C22', type: 'step', inputs: ['B2'] },
      ]),
    );
    const id = await h.engine.enqueueWorkflow('shared-budget', { n: 0 });
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    expect((await addedFor(h, id)).sort()).toEqual(['A', 'C12', 'C21', 'C22']);
  });

  it('with free worker slots, or for a type that is not fast, the other children get jobs', async ({
    harness,
  }) => {
    const idle = await harness();
    registerStep(idle);
    await idle.engine.startWorkers(8);
    await warmUp(idle);
    await idle.engine.registerWorkflow(fan('wide', 3));
    const a = await idle.engine.enqueueWorkflow('wide', { n: 0 });
    expect((await idle.engine.waitForExecution(a, { timeoutMs: 10_000 })).status).toBe('completed');
    // A carries B1; B2 and B3 go to the free workers.
    expect((await addedFor(idle, a)).sort()).toEqual(['A', 'B2', 'B3']);

    const slow = await harness();
    slow.registry.register(
      'step',
      exec(async () => {
        await new Promise((r) => setTimeout(r, 10));
        return { success: true, data: { n: 1 } };
      }),
    );
    await slow.engine.startWorkers(1);
    await warmUp(slow);
    await slow.engine.registerWorkflow(fan('slow', 3));
    const b = await slow.engine.enqueueWorkflow('slow', { n: 0 });
    expect((await slow.engine.waitForExecution(b, { timeoutMs: 10_000 })).status).toBe('completed');
    expect((await addedFor(slow, b)).sort()).toEqual(['A', 'B2', 'B3']);
  });

  it('a cancel while the job has children left to carry: none of them runs', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = registerStep(h);
    h.registry.register(
      'cancels',
      exec(async (ctx) => {
        await h.engine.cancelWorkflow(ctx.executionId);
        return { success: true, data: { n: 1 } };
      }),
    );
    await h.engine.startWorkers(1);
    await warmUp(h);
    await h.engine.registerWorkflow(
      wf('stopped-fan', [
        { id: 'A', type: 'step' },
        { id: 'B1', type: 'cancels', inputs: ['A'] },
        { id: 'B2', type: 'step', inputs: ['A'] },
        { id: 'B3', type: 'step', inputs: ['A'] },
        { id: 'J', type: 'step', inputs: ['B1', 'B2', 'B3'] },
      ]),
    );
    runs.length = 0;
    const id = await h.engine.enqueueWorkflow('stopped-fan', { n: 0 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('cancelled');
    // B2 and B3 were to follow B1 in A's job; after the cancel they never run.
    await until(async () => (await jobsIn(h.redis, h.prefix, 'active')).length === 0, 5_000);
    expect(runs).toEqual(['A']);
    for (const n of ['B2', 'B3', 'J']) expect(state.nodeResults[n]?.status).toBe('cancelled');
  });
});

describe('followUps', () => {
  it('finds the queued or running nodes after a node, and the settled ones, down its completed single-parent children', () => {
    const plan = {
      children: new Map([
        ['A', ['B', 'X']],
        ['B', ['C']],
        ['C', ['D']],
        ['X', ['J']],
        ['D', ['J']],
      ]),
      parents: new Map([
        ['B', ['A']],
        ['X', ['A']],
        ['C', ['B']],
        ['D', ['C']],
        ['J', ['X', 'D']],
      ]),
    } as unknown as Parameters<typeof followUps>[0];
    const states = (s: Record<string, string>) =>
      ({
        nodeResults: Object.fromEntries(
          Object.entries(s).map(([k, v]) => [k, { status: v, attempts: 1 }]),
        ),
      }) as Parameters<typeof followUps>[1];
    const mid = followUps(
      plan,
      states({ A: 'completed', B: 'completed', C: 'completed', D: 'running', X: 'queued' }),
      'A',
    );
    expect(mid.lost.sort()).toEqual(['D', 'X']);
    expect(mid.settled).toEqual(['B', 'C']);
    // A join is walked through from the parent that finished last (its job may have
    // carried it), not from the others.
    const at = (ms: number) => ({
      status: 'completed',
      attempts: 1,
      finishedAt: new Date(ms).toISOString(),
    });
    const timed = {
      nodeResults: { A: at(1), B: at(2), C: at(3), D: at(9), X: at(4), J: at(10) },
    } as unknown as Parameters<typeof followUps>[1];
    expect(followUps(plan, timed, 'A')).toEqual({ lost: [], settled: ['B', 'C', 'D', 'J', 'X'] });
    expect(followUps(plan, timed, 'X')).toEqual({ lost: [], settled: [] });
    // A running join is lost only to the parent that finished last: the other parent's
    // follow-up (its completion's reply lost, say) must not add a job for a join the last
    // parent's job is running — that job would begin a second run of it.
    const joinRunning = {
      nodeResults: { ...timed.nodeResults, J: { status: 'running', attempts: 1 } },
    } as unknown as Parameters<typeof followUps>[1];
    expect(followUps(plan, joinRunning, 'X')).toEqual({ lost: [], settled: [] });
    expect(followUps(plan, joinRunning, 'D')).toEqual({ lost: ['J'], settled: [] });
    // A failed child ends the walk; its own children are not followed.
    const failed = followUps(plan, states({ A: 'completed', B: 'failed', C: 'running' }), 'A');
    expect(failed).toEqual({ lost: [], settled: ['B'] });
  });
});

describe('carrierOf', () => {
  /** A plan as far as carrierOf reads it: parents, and the node count. */
  const planOf = (parents: Record<string, string[]>) =>
    ({
      parents: new Map(Object.entries(parents)),
      nodes: new Map(Object.keys(parents).map((k) => [k, {}])),
    }) as unknown as Parameters<typeof carrierOf>[0];
  const done = (ms: number) => ({
    status: 'completed',
    attempts: 1,
    finishedAt: new Date(ms).toISOString(),
  });

  it('finds a chain’s carrier up through completed nodes without a job', async () => {
    const plan = planOf({ A: [], B: ['A'], C: ['B'], D: ['C'] });
    const execution = { nodeResults: { A: done(1), B: done(2), C: done(3) } };
    const looked: string[] = [];
    const state = async (id: string) => {
      looked.push(id);
      return id === 'A' ? 'active' : 'unknown';
    };
    expect(await carrierOf(plan, execution as never, 'D', state)).toBe('A');
    expect(looked).toEqual(['C', 'B', 'A']);
    // A job that is waiting (not carrying anything) ends the walk there.
    expect(await carrierOf(plan, execution as never, 'D', async () => 'waiting')).toBeUndefined();
  });

  it('looks at a wide join’s last parent first, and at 32 jobs at most', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `W${i}`);
    const plan = planOf({ ...Object.fromEntries(ids.map((w) => [w, []])), E: ids });
    const execution = { nodeResults: Object.fromEntries(ids.map((w, i) => [w, done(1_000 + i)])) };
    const looked: string[] = [];
    const last = async (id: string) => {
      looked.push(id);
      return id === 'W99' ? 'active' : 'unknown';
    };
    expect(await carrierOf(plan, execution as never, 'E', last)).toBe('W99');
    expect(looked).toEqual(['W99']);
    looked.length = 0;
    const none = async (id: string) => {
      looked.push(id);
      return 'unknown';
    };
    expect(await carrierOf(plan, execution as never, 'E', none)).toBeUndefined();
    expect(looked).toHaveLength(32);
  });
});

describe('when a job may carry', () => {
  it('not while abort orders cannot reach the process, nor once its workers close', () => {
    const aborts: { receivingEpoch: number | undefined } = { receivingEpoch: 0 };
    const handoffs = new Handoffs({
      registry: { has: () => true },
      queues: { nameForType: () => 'nodes' },
      aborts,
      store: { capabilities: { startsNodes: true } } as never,
    });
    const carried = new CarriedRuns({
      registry: { has: () => true, getRegistration: () => ({ options: {} }) as never },
      queues: { nameForType: () => 'nodes' },
      handoffs,
      enqueuer: { enqueueNodes: async () => {} },
      infra: { run: (_what: string, fn: () => Promise<void>) => fn() } as never,
      maxRuns: 16,
    });
    const plan = {
      nodes: new Map([['B', { id: 'B', type: 'step' }]]),
      definition: {},
    } as never;
    const carrier = {
      job: { stalledCounter: 0, queueName: 'nodes' },
      tally: { carried: 0 },
      since: Date.now(),
    };
    expect(carried.chooser(plan, carrier)).toBeUndefined(); // no worker slots yet
    handoffs.setSlots(2);
    expect(carried.chooser(plan, carrier)?.('B')).toBe(true);
    // Children past the first only of a type seen to run fast here (≥ 4 runs, mean < 5 ms).
    expect(carried.chooser(plan, carrier)?.many('B')).toBe(false);
    for (const ms of [1, 0, 2]) carried.observe('step', ms);
    expect(carried.fast('step')).toBe(false);
    carried.observe('step', 1);
    expect(carried.chooser(plan, carrier)?.many('B')).toBe(true);
    expect(carried.chooser(plan, { ...carrier, tally: { carried: 5 } })?.left()).toBe(11);
    // Runs of one job whose completions are recorded at once share its budget as they choose.
    const tally = { carried: 13 };
    const [one, two] = [0, 1].map(() => carried.chooser(plan, { ...carrier, tally })!);
    one!.took(2);
    expect(two!.left()).toBe(1);
    expect(two!('B')).toBe(true);
    two!.took(1);
    expect([one!.left(), one!('B'), one!.many('B')]).toEqual([0, false, true]);
    for (let i = 0; i < 10; i++) carried.observe('step', 40);
    expect(carried.fast('step')).toBe(false);
    expect(carried.goesOn(carrier)).toBe(true);
    expect(carried.goesOn({ since: Date.now() - 1_000 })).toBe(false);
    aborts.receivingEpoch = undefined; // the subscriber lost its connection
    expect(carried.chooser(plan, carrier)).toBeUndefined();
    aborts.receivingEpoch = 1;
    expect(carried.chooser(plan, carrier)).toBeDefined();
    expect(carried.chooser(plan, { ...carrier, tally: { carried: 16 } })).toBeUndefined();
    expect(carried.chooser(plan, { ...carrier, since: Date.now() - 1_000 })).toBeUndefined();
    expect(
      carried.chooser(plan, { ...carrier, job: { stalledCounter: 1, queueName: 'nodes' } }),
    ).toBeUndefined();
    handoffs.setSlots(0); // closing
    expect(carried.chooser(plan, carrier)).toBeUndefined();
  });
});
