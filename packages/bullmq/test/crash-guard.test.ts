import { expect } from 'vitest';
import { exec, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

it('runs that end in any way do not count as crashes: parked, delayed and retried runs, with maxNodeCrashes 1', async ({
  harness,
}) => {
  const h = await harness({ maxNodeCrashes: 1 });
  const calls = new Map<string, number>();
  h.registry.register(
    'step',
    exec(async (ctx) => {
      calls.set(ctx.nodeId, (calls.get(ctx.nodeId) ?? 0) + 1);
      // F fails twice, then succeeds: its job goes back to BullMQ twice.
      if (ctx.nodeId === 'F' && ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt}`);
      await new Promise((r) => setTimeout(r, 20));
      return { success: true, data: ctx.nodeId };
    }),
  );
  // One slot for six parallel nodes: most of their jobs park (and wake) at least once.
  const parallel = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'].map((id) => ({
    id,
    type: 'step',
    inputs: ['W'],
  }));
  await h.engine.registerWorkflow(
    wf(
      'ends',
      [
        { id: 'F', type: 'step', retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 10 } } },
        { id: 'W', type: 'delay', inputs: ['F'], config: { durationMs: 200 } },
        ...parallel,
      ],
      { maxConcurrency: 1 },
    ),
  );
  await h.engine.startWorkers(4);
  const id = await h.engine.enqueueWorkflow('ends', {});
  const state = await h.engine.waitForExecution(id, { timeoutMs: 20_000 });
  expect(state.status).toBe('completed');
  expect(calls.get('F')).toBe(3);
  for (const p of parallel) expect(calls.get(p.id)).toBe(1);
  expect(await h.engine.getDLQItems()).toEqual([]);
});
