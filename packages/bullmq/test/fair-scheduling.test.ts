import { expect } from 'vitest';
import type { WorkflowEngineOptions } from '../src/index.js';
import { deferred, exec, type Harness, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

const ACME = { tenantId: 'acme' };
const GLOBEX = { tenantId: 'globex' };
/** Tenant acme's backlog. */
const BACKLOG = 400;

/**
 * An engine with `workers` workers whose node type `hold` records its run and waits on a
 * latch, and a workflow `one` (one `hold` node) and `two` (two in a row), for both tenants.
 */
async function latched(
  harness: (o?: WorkflowEngineOptions) => Promise<Harness>,
  fair: boolean,
  workers = 2,
) {
  const h = await harness({ logger: silentLogger, fairScheduling: fair });
  const latch = deferred();
  const order: string[] = [];
  h.registry.register(
    'hold',
    exec(async (ctx) => {
      order.push(`${(ctx.initialData as { tag: string }).tag}:${ctx.nodeId}`);
      await latch.promise;
      return { success: true };
    }),
  );
  for (const scope of [ACME, GLOBEX]) {
    await h.engine.registerWorkflow(wf('one', [{ id: 'N', type: 'hold' }]), scope);
    await h.engine.registerWorkflow(
      wf('two', [
        { id: 'first', type: 'hold' },
        { id: 'second', type: 'hold', inputs: ['first'] },
      ]),
      scope,
    );
  }
  await h.engine.startWorkers(workers);
  return { h, latch, order };
}

/**
 * Acme queues BACKLOG runs while both workers are held by its first two, then globex
 * starts one run of `two`; the latch opens once globex's run is queued. Resolves with the
 * order in which nodes began and how many of acme's runs had begun when globex's ended.
 */
async function backlogThenOther(fair: boolean, harness: Parameters<typeof latched>[0]) {
  const { h, latch, order } = await latched(harness, fair);
  const acme = await h.engine.enqueueWorkflows(
    Array.from({ length: BACKLOG }, (_, i) => ({
      workflowId: 'one',
      initialData: { tag: `a${i}` },
      options: ACME,
    })),
  );
  await until(() => order.length === 2, 10_000, 'both workers to hold one of acme’s nodes');
  const globex = await h.engine.enqueueWorkflow('two', { tag: 'b' }, GLOBEX);
  latch.resolve();
  await h.engine.waitForExecution(globex, { timeoutMs: 30_000 }, GLOBEX);
  const acmeBegunThen = order.filter((o) => o.startsWith('a')).length;
  await until(
    async () => (await h.engine.getExecution(acme.at(-1)!, ACME))?.status === 'completed',
    30_000,
    'acme’s backlog to drain',
  );
  return { order, acmeBegunThen };
}

it("another tenant's run is not queued behind one tenant's backlog: both its nodes start before the backlog drains", async ({
  harness,
}) => {
  const { order, acmeBegunThen } = await backlogThenOther(true, harness);
  // Globex's first node is next to the head of the queue, and so is its second node,
  // enqueued while hundreds of acme's nodes still waited.
  expect(order.indexOf('b:first')).toBeGreaterThanOrEqual(2);
  expect(order.indexOf('b:first')).toBeLessThan(6);
  expect(order.indexOf('b:second')).toBeLessThan(order.indexOf('b:first') + 6);
  expect(acmeBegunThen).toBeLessThan(20);
  expect(order.filter((o) => o.startsWith('a'))).toHaveLength(BACKLOG);
});

it('with fairScheduling off, the same run waits behind the whole backlog (first-in first-out)', async ({
  harness,
}) => {
  const { order, acmeBegunThen } = await backlogThenOther(false, harness);
  expect(order.indexOf('b:first')).toBe(BACKLOG);
  expect(acmeBegunThen).toBe(BACKLOG);
});

it('a tenant alone keeps first-in first-out order, also for nodes queued while others run', async ({
  harness,
}) => {
  // One worker, so that the order in which nodes begin is the order they are taken in.
  const { h, latch, order } = await latched(harness, true, 1);
  const bulk = await h.engine.enqueueWorkflows(
    Array.from({ length: 30 }, (_, i) => ({
      workflowId: 'one',
      initialData: { tag: `a${i}` },
      options: ACME,
    })),
  );
  await until(() => order.length === 1, 10_000, 'the worker to hold a node');
  const singles: string[] = [];
  for (let i = 30; i < 60; i += 1) {
    singles.push(await h.engine.enqueueWorkflow('one', { tag: `a${i}` }, ACME));
  }
  latch.resolve();
  await h.engine.waitForExecution(singles.at(-1)!, { timeoutMs: 20_000 }, ACME);
  await until(
    async () => (await h.engine.getExecution(bulk.at(-1)!, ACME))?.status === 'completed',
    20_000,
    'the bulk runs',
  );
  expect(order).toEqual(Array.from({ length: 60 }, (_, i) => `a${i}:N`));
});

it('within a tenant, executions without a priority still run first, then by priority', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  const order: string[] = [];
  h.registry.register(
    'work',
    exec(async (ctx) => {
      order.push((ctx.initialData as { tag: string }).tag);
      return { success: true };
    }),
  );
  for (const scope of [ACME, GLOBEX]) {
    await h.engine.registerWorkflow(wf('one', [{ id: 'N', type: 'work' }]), scope);
  }
  const start = (tag: string, options: object) =>
    ({ workflowId: 'one', initialData: { tag }, options }) as const;
  const ids = await h.engine.enqueueWorkflows([
    ...Array.from({ length: 20 }, (_, i) => start(`low${i}`, { ...ACME, priority: 50 })),
    ...Array.from({ length: 20 }, (_, i) => start(`plain${i}`, ACME)),
    start('high', { ...ACME, priority: 1 }),
    start('globex', GLOBEX),
  ]);
  await h.engine.startWorkers(1);
  await until(
    async () =>
      (await Promise.all(ids.map((id) => h.store.getExecution(id)))).every(
        (e) => e?.status === 'completed',
      ),
    20_000,
    'every run',
  );
  const plain = order.filter((t) => t.startsWith('plain'));
  expect(plain).toEqual(Array.from({ length: 20 }, (_, i) => `plain${i}`));
  // Globex's run (no priority) is among the first; runs with a priority come after every
  // run without one, the highest first, then in arrival order.
  expect(order.indexOf('globex')).toBeLessThan(3);
  expect(order.slice(21)).toEqual(['high', ...Array.from({ length: 20 }, (_, i) => `low${i}`)]);
});

it('queue stats count the jobs of executions without a priority as waiting', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register(
    'work',
    exec(async () => ({ success: true })),
  );
  await h.engine.registerWorkflow(wf('one', [{ id: 'N', type: 'work' }]), ACME);
  await h.engine.enqueueWorkflow('one', {}, ACME);
  await h.engine.enqueueWorkflow('one', {}, ACME);
  await h.engine.enqueueWorkflow('one', {}, { ...ACME, priority: 3 });
  expect(await h.engine.getQueueStats()).toMatchObject({ waiting: 2, prioritized: 1 });
});
