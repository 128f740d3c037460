import { expect } from 'vitest';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

it('checkHealth reports Redis, the store, this process’s workers and the live workers', async ({
  harness,
}) => {
  const h = await harness();
  expect(await h.engine.checkHealth()).toEqual({
    ok: true,
    redis: true,
    store: true,
    workers: null,
    liveWorkers: { live: 0, stuck: 0 },
  });
  await h.engine.startWorkers(1);
  // The first heartbeat went out (on the same connection) before startWorkers resolved.
  expect(await h.engine.checkHealth()).toEqual({
    ok: true,
    redis: true,
    store: true,
    workers: true,
    liveWorkers: { live: 1, stuck: 0 },
  });
  await h.engine.close();
  const after = await h.engine.checkHealth();
  expect(after.workers).toBe(false);
  expect(after.ok).toBe(false);
  expect(after.liveWorkers).toEqual({ live: 0, stuck: 0 });
});

it('getQueueStats counts jobs by state and the DLQ', async ({ harness }) => {
  const h = await harness();
  h.registry.register('noop', noop);
  await h.engine.registerWorkflow({
    id: 'counted',
    name: 'counted',
    nodes: [
      { id: 'A', type: 'noop' },
      { id: 'B', type: 'noop' },
    ],
  });
  await h.engine.enqueueWorkflow('counted');
  await h.engine.enqueueWorkflow('counted', undefined, { delayMs: 60_000 });
  const stats = await h.engine.getQueueStats();
  expect(stats).toMatchObject({ waiting: 2, delayed: 2, active: 0, dlq: 0 });
  // The DLQ count is engine-wide: items of every tenant.
  for (const tenantId of ['default', 'acme', 'globex']) {
    await h.store.addDLQItem({
      workflowId: 'counted',
      executionId: `e-${tenantId}`,
      nodeId: 'A',
      tenantId,
      error: 'x',
      attempts: 1,
    });
  }
  expect((await h.engine.getQueueStats()).dlq).toBe(3);
});
