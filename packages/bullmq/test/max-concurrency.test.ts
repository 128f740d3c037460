import { describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { deferred, exec, jobsIn, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

const slotsKey = (prefix: string, workflowId: string) =>
  `${prefix}:concurrency:default:${workflowId}:slots`;
const waitingKey = (prefix: string, workflowId: string) =>
  `${prefix}:concurrency:default:${workflowId}:waiting`;

/** An executor that counts how many of its runs overlap and holds each until `release`. */
function holding() {
  const gate = deferred();
  const state = { running: 0, max: 0, runs: [] as string[] };
  const executor = exec(async (ctx) => {
    state.running += 1;
    state.max = Math.max(state.max, state.running);
    state.runs.push(`${ctx.executionId}/${ctx.nodeId}`);
    await gate.promise;
    state.running -= 1;
    return { success: true, data: ctx.nodeId };
  });
  return { executor, state, release: () => gate.resolve() };
}

describe('workflow maxConcurrency', () => {
  it('bounds the running nodes of a workflow across executions and engines; the others park holding no slot', async ({
    harness,
  }) => {
    const h = await harness();
    const engine2 = h.peer();
    const hold = holding();
    h.registry.register('hold', hold.executor);
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(
      wf(
        'limited',
        [
          { id: 'A', type: 'hold' },
          { id: 'B', type: 'hold' },
          { id: 'C', type: 'hold' },
        ],
        { maxConcurrency: 2 },
      ),
    );
    await h.engine.registerWorkflow(wf('unlimited', [{ id: 'F', type: 'free' }]));
    // 10 worker slots in all: 2 running nodes + 10 parked jobs would not fit if parked jobs held one.
    await h.engine.startWorkers(5);
    await engine2.startWorkers(5);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 4 }, () => ({ workflowId: 'limited' })),
    );
    await until(
      async () =>
        hold.state.running === 2 && (await h.redis.zcard(waitingKey(h.prefix, 'limited'))) === 10,
      10_000,
      'two running and ten waiting',
    );
    expect(hold.state.runs).toHaveLength(2);
    // The waiting jobs sleep in the delayed set until a slot is handed to them: no polling.
    const delayed = await jobsIn(h.redis, h.prefix, 'delayed');
    expect(delayed).toHaveLength(10);
    for (const jobId of delayed) {
      const score = Number(await h.redis.zscore(`${h.prefix}:nodes:delayed`, jobId));
      expect(Math.floor(score / 0x1000)).toBeGreaterThan(Date.now() + 60 * 60 * 1000);
    }
    const free = await h.engine.enqueueWorkflow('unlimited');
    expect((await h.engine.waitForExecution(free, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(hold.state.runs).toHaveLength(2);

    hold.release();
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 10_000 })),
    );
    expect(states.map((s) => s.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(hold.state.max).toBe(2);
    expect(new Set(hold.state.runs).size).toBe(12);
    expect(hold.state.runs).toHaveLength(12);
    // The last node's slot is given back as its job ends, just after the end is heard here.
    await until(
      async () => (await h.redis.zcard(slotsKey(h.prefix, 'limited'))) === 0,
      5_000,
      'every slot given back',
    );
    expect(await h.redis.zcard(waitingKey(h.prefix, 'limited'))).toBe(0);
  });

  it('loses no wake-up when many short nodes contend for the slots', async ({ harness }) => {
    const h = await harness();
    const engine2 = h.peer();
    let running = 0;
    let max = 0;
    let runs = 0;
    h.registry.register(
      'blip',
      exec(async () => {
        running += 1;
        runs += 1;
        max = Math.max(max, running);
        await Promise.resolve();
        running -= 1;
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf(
        'contended',
        [
          { id: 'A', type: 'blip' },
          { id: 'B', type: 'blip', inputs: ['A'] },
        ],
        { maxConcurrency: 2 },
      ),
    );
    await h.engine.startWorkers(4);
    await engine2.startWorkers(4);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 25 }, () => ({ workflowId: 'contended' })),
    );
    // A lost wake-up leaves a job parked for hours: the wait would time out.
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 15_000 })),
    );
    expect(states.every((s) => s.status === 'completed')).toBe(true);
    expect(runs).toBe(50);
    expect(max).toBeLessThanOrEqual(2);
  });

  it('a cancelled execution gives its place in line to the next one', async ({ harness }) => {
    const h = await harness();
    const hold = holding();
    h.registry.register('hold', hold.executor);
    await h.engine.registerWorkflow(
      wf('single', [{ id: 'N', type: 'hold' }], { maxConcurrency: 1 }),
    );
    await h.engine.startWorkers(4);
    const first = await h.engine.enqueueWorkflow('single');
    await until(() => hold.state.running === 1, 5_000, 'the first to run');
    const second = await h.engine.enqueueWorkflow('single');
    const third = await h.engine.enqueueWorkflow('single');
    await until(
      async () => (await h.redis.zcard(waitingKey(h.prefix, 'single'))) === 2,
      5_000,
      'two waiting',
    );
    await h.engine.cancelWorkflow(second);
    expect(await h.redis.zrange(waitingKey(h.prefix, 'single'), 0, -1)).toEqual([
      `nodes/${nodeJobId(third, 'N')}`,
    ]);
    hold.release();
    for (const id of [first, third]) {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    }
    expect(hold.state.runs).toEqual([`${first}/N`, `${third}/N`]);
    expect(hold.state.max).toBe(1);
  });

  it('reclaims the slot of a holder that died, on the reconciler pass', async ({ harness }) => {
    const h = await harness({ reconcileIntervalMs: 0 });
    h.registry.register('step', noop);
    await h.engine.registerWorkflow(
      wf('orphaned', [{ id: 'N', type: 'step' }], { maxConcurrency: 1 }),
    );
    // A slot held by a worker that died: it is never released, only expires.
    const expiresAt = Date.now() + 300;
    await h.redis.zadd(slotsKey(h.prefix, 'orphaned'), expiresAt, 'nodes/ghost');
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('orphaned');
    await until(
      async () => (await h.redis.zcard(waitingKey(h.prefix, 'orphaned'))) === 1,
      5_000,
      'the job to wait',
    );
    await until(() => Date.now() > expiresAt, 5_000, 'the ghost slot to expire');
    expect((await h.engine.getExecution(id))?.status).toBe('pending');
    const result = await h.engine.reconcile();
    expect(result.concurrencyWaitersWoken).toBe(1);
    expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
  });
});
