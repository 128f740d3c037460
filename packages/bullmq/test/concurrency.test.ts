import { NodeRegistry } from '@spane/core';
import { describe, expect } from 'vitest';
import { deferred, exec, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { diamond } from './support/workflow-shapes.js';

describe('concurrency', () => {
  it('completes 200 concurrent diamonds, each node once and one completion event each', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = new Map<string, number>();
    h.registry.register(
      'step',
      exec(async (ctx) => {
        const key = `${ctx.executionId}/${ctx.nodeId}`;
        runs.set(key, (runs.get(key) ?? 0) + 1);
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(diamond('many', 'step'));
    await h.engine.registerWorkflow(wf('sentinel', [{ id: 'S', type: 'step' }]));
    const completed = record(h.engine, 'workflow:completed');
    await h.engine.startWorkers(50);

    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 200 }, (_, i) => ({ workflowId: 'many', initialData: { i } })),
    );
    expect(new Set(ids).size).toBe(200);
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 30_000 })),
    );
    expect(states.filter((s) => s.status !== 'completed')).toEqual([]);

    // Events of one engine arrive in the order published: once the sentinel's completion
    // is heard, any duplicate completion of the 200 would have been heard too.
    const sentinel = await h.engine.enqueueWorkflow('sentinel');
    await until(
      () => completed.some((e) => e.executionId === sentinel),
      10_000,
      'sentinel completion',
    );
    const perExecution = new Map<string, number>();
    for (const e of completed) {
      perExecution.set(e.executionId, (perExecution.get(e.executionId) ?? 0) + 1);
    }
    for (const id of ids) expect(perExecution.get(id), id).toBe(1);
    expect(completed).toHaveLength(201);

    expect(runs.size).toBe(200 * 4 + 1);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    const unfinished = await h.engine.listExecutions({
      status: ['pending', 'running', 'paused'],
      limit: 1000,
    });
    expect(unfinished.items).toEqual([]);
    const stats = await h.engine.getQueueStats();
    expect(stats).toMatchObject({ waiting: 0, active: 0, delayed: 0, prioritized: 0 });
  });

  it('shares the executions of one prefix between two engines with workers', async ({
    harness,
  }) => {
    const h = await harness();
    // Two "processes" with their own registries, so each run can be attributed to one.
    const registry2 = new NodeRegistry();
    const engine2 = h.peerWith(registry2);
    const runs = new Map<string, number>();
    const byEngine = { one: 0, two: 0 };
    // The first runs on each engine hold until both engines have started one: the test
    // cannot pass unless the second engine takes work while the first one is busy.
    const bothBusy = deferred();
    const step = (engine: 'one' | 'two') =>
      exec(async (ctx) => {
        const key = `${ctx.executionId}/${ctx.nodeId}`;
        runs.set(key, (runs.get(key) ?? 0) + 1);
        byEngine[engine] += 1;
        if (byEngine.one > 0 && byEngine.two > 0) bothBusy.resolve();
        await bothBusy.promise;
        return { success: true, data: engine };
      });
    h.registry.register('step', step('one'));
    registry2.register('step', step('two'));
    await h.engine.registerWorkflow(diamond('shared', 'step'));

    await h.engine.startWorkers(4);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 40 }, () => ({ workflowId: 'shared' })),
    );
    await until(() => byEngine.one >= 4, 5_000, 'engine one to be busy');
    await engine2.startWorkers(4);
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 20_000 })),
    );

    expect(states.filter((s) => s.status !== 'completed')).toEqual([]);
    expect(byEngine.one).toBeGreaterThan(0);
    expect(byEngine.two).toBeGreaterThan(0);
    expect(byEngine.one + byEngine.two).toBe(40 * 4);
    expect(runs.size).toBe(40 * 4);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});
