import { type ExecutionStore, NodeRegistry } from '@spane/core';
import { expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import { deferred, exec, silentLogger, TEST_TIMINGS, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';

/**
 * The store as an engine sees it when its process freezes right after a child execution of
 * `workflowId` was created: the write is committed, its reply never comes back.
 */
function freezingAfterChildCreated(
  store: ExecutionStore,
  workflowId: string,
  created: () => void,
): ExecutionStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'createExecution') {
        return async (...args: Parameters<ExecutionStore['createExecution']>) => {
          const r = await target.createExecution(...args);
          if (args[0].plan.workflowId !== workflowId) return r;
          created();
          return new Promise(() => {});
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

it('a sub-workflow node taken over after its worker froze cancels the child the frozen run created, and completes with its own', async ({
  harness,
}) => {
  const h = await harness({ reconcileIntervalMs: 0, logger: silentLogger });
  const step = exec(async (ctx) => ({ success: true, data: `${ctx.nodeId}!` }));
  // The frozen run's child gets to run (the surviving engine's start-up reconcile enqueues
  // it); its node holds until that child is cancelled.
  let kRuns = 0;
  h.registry.register('step', step);
  h.registry.register(
    'kid-step',
    exec(async (ctx) => {
      kRuns += 1;
      if (kRuns === 1) {
        await new Promise((resolve) =>
          ctx.signal.addEventListener('abort', resolve, { once: true }),
        );
      }
      return { success: true, data: `${ctx.nodeId}!` };
    }),
  );
  const proxy = await createRedisProxy();
  const registry1 = new NodeRegistry();
  registry1.register('step', step);
  registry1.register('kid-step', step);
  const childCreated = deferred();
  const frozen = new WorkflowEngine(
    registry1,
    freezingAfterChildCreated(h.store, 'kid', () => childCreated.resolve()),
    proxy.url,
    { ...TEST_TIMINGS, prefix: h.prefix, reconcileIntervalMs: 0, logger: silentLogger },
  );
  try {
    await h.engine.registerWorkflow(wf('kid', [{ id: 'K', type: 'kid-step' }]));
    await h.engine.registerWorkflow(
      wf('mum', [
        { id: 'S', type: 'sub-workflow', config: { workflowId: 'kid' } },
        { id: 'N', type: 'step', inputs: ['S'] },
      ]),
    );
    await frozen.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('mum');
    await childCreated.promise;
    const [first] = (await h.engine.listExecutions({ parentExecutionId: id })).items;
    expect(first).toBeDefined();
    // The frozen process stops renewing its lock; the other engine takes the node over.
    proxy.cut();
    await h.engine.startWorkers(3);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.S).toMatchObject({ status: 'completed', attempts: 2, data: 'K!' });
    expect(state.nodeResults.N?.data).toBe('N!');
    const children = (await h.engine.listExecutions({ parentExecutionId: id })).items;
    expect(children).toHaveLength(2);
    const byId = new Map(children.map((c) => [c.executionId, c.status]));
    // The frozen run's child is cancelled, not left pending (or run) for nobody.
    expect(byId.get(first!.executionId)).toBe('cancelled');
    expect([...byId.values()].sort()).toEqual(['cancelled', 'completed']);
  } finally {
    proxy.restore();
    await until(() => proxy.connections > 0, 30_000, 'the frozen engine to reconnect');
    await frozen.close();
    await proxy.close();
  }
});
