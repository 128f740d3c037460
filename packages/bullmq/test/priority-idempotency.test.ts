import { expect } from 'vitest';
import { exec, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput } from './support/stock-executors.js';

it('a high-priority execution enqueued behind 500 low-priority nodes starts before they drain, on every node', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  const order: string[] = [];
  h.registry.register(
    'work',
    exec(async (ctx) => {
      order.push(`${(ctx.initialData as { tag: string }).tag}:${ctx.nodeId}`);
      return { success: true };
    }),
  );
  await h.engine.registerWorkflow(wf('single', [{ id: 'N', type: 'work' }]));
  await h.engine.registerWorkflow(
    wf('pair', [
      { id: 'first', type: 'work' },
      { id: 'second', type: 'work', inputs: ['first'] },
    ]),
  );
  const low = await h.engine.enqueueWorkflows(
    Array.from({ length: 500 }, (_, i) => ({
      workflowId: 'single',
      initialData: { tag: `low${i}` },
      options: { priority: 100 },
    })),
  );
  const high = await h.engine.enqueueWorkflow('pair', { tag: 'high' }, { priority: 1 });
  await h.engine.startWorkers(1);
  await h.engine.waitForExecution(high, { timeoutMs: 20_000 });
  // The child node of the high-priority run was enqueued while hundreds of low-priority
  // jobs waited: it still runs before they drain (priority applies to every node).
  const first = order.indexOf('high:first');
  const second = order.indexOf('high:second');
  expect(first).toBeGreaterThanOrEqual(0);
  expect(first).toBeLessThan(5);
  expect(second).toBeLessThan(first + 5);
  await until(
    async () => (await h.engine.getExecution(low[499]!))?.status === 'completed',
    30_000,
    'low runs',
  );
  expect(order.filter((o) => o.startsWith('low'))).toHaveLength(500);
});

it('the same idempotencyKey from 20 concurrent calls yields one execution', async ({ harness }) => {
  const h = await harness({ logger: silentLogger });
  let runs = 0;
  h.registry.register(
    'once',
    exec(async () => {
      runs += 1;
      return { success: true };
    }),
  );
  await h.engine.registerWorkflow(wf('keyed', [{ id: 'N', type: 'once' }]));
  const ids = await Promise.all(
    Array.from({ length: 20 }, () =>
      h.engine.enqueueWorkflow('keyed', {}, { idempotencyKey: 'order-42' }),
    ),
  );
  expect(new Set(ids).size).toBe(1);
  await h.engine.startWorkers(4);
  expect((await h.engine.waitForExecution(ids[0]!, { timeoutMs: 10_000 })).status).toBe(
    'completed',
  );
  expect(runs).toBe(1);
  const page = await h.engine.listExecutions({ workflowId: 'keyed' });
  expect(page.items).toHaveLength(1);
});

it('a delay node survives an engine restart and wakes on time in the new engine', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register('pass', echoInput);
  await h.engine.registerWorkflow(
    wf('sleepy', [
      { id: 'A', type: 'pass' },
      { id: 'W', type: 'delay', inputs: ['A'], config: { durationMs: 800 } },
      { id: 'B', type: 'pass', inputs: ['W'] },
    ]),
  );
  await h.engine.startWorkers(2);
  const started = Date.now();
  const id = await h.engine.enqueueWorkflow('sleepy', { v: 7 });
  await until(
    async () => (await h.store.getExecution(id))?.nodeResults.W?.status === 'delayed',
    5_000,
    'W delayed',
  );
  await h.engine.close();
  const next = h.peer();
  await next.startWorkers(2);
  const state = await next.waitForExecution(id, { timeoutMs: 10_000 });
  expect(state.status).toBe('completed');
  expect(state.nodeResults.B?.data).toEqual({ v: 7 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(800);
});
