import { NodeRegistry } from '@spane/core';
import { expect } from 'vitest';
import { exec, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

const refuse = exec(async () => {
  throw new Error('this engine runs no workers');
});

it('a node whose type no worker registers fails after missingNodeTypeWaitMs, saying so, without using an attempt', async ({
  harness,
}) => {
  const lines: string[] = [];
  const capture = {
    debug: (m: string) => lines.push(m),
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const h = await harness({ missingNodeTypeWaitMs: 1_500, logger: capture });
  h.registry.register(
    'step',
    exec(async () => ({ success: true, data: { ok: true } })),
  );
  // An engine that registers the type (to register the workflow) but runs no workers.
  const full = new NodeRegistry();
  full.register('step', refuse);
  full.register('rare', refuse);
  const registrar = h.peerWith(full, { logger: silentLogger });
  await registrar.registerWorkflow(
    wf('lacking', [
      { id: 'A', type: 'step' },
      { id: 'R', type: 'rare', inputs: ['A'] },
    ]),
  );
  await h.engine.startWorkers(2);
  const startedAt = Date.now();
  const id = await registrar.enqueueWorkflow('lacking', {});
  const state = await h.engine.waitForExecution(id, { timeoutMs: 15_000 });
  const elapsedMs = Date.now() - startedAt;
  expect(state.status).toBe('failed');
  expect(state.nodeResults.A?.status).toBe('completed');
  expect(state.nodeResults.R).toMatchObject({ status: 'failed', attempts: 1 });
  expect(state.nodeResults.R?.error).toMatch(
    /^no worker registers node type 'rare': .* within 1500 ms/,
  );
  // It waited for a worker that has the type (the bound), and not much longer.
  expect(elapsedMs).toBeGreaterThanOrEqual(1_500);
  expect(elapsedMs).toBeLessThan(10_000);
  const handedBack = lines.filter((l) => l.startsWith("node type 'rare' is not registered here"));
  expect(handedBack.length).toBeGreaterThanOrEqual(2);
  const [item] = await h.engine.getDLQItems();
  expect(item).toMatchObject({ executionId: id, nodeId: 'R', attempts: 1 });
});

it('a node handed back by a worker lacking its type runs on a worker that has it, on its first attempt', async ({
  harness,
}) => {
  const h = await harness({ missingNodeTypeWaitMs: 30_000 });
  h.registry.register(
    'step',
    exec(async () => ({ success: true, data: { ok: true } })),
  );
  // The second engine (another "process") has the type, and starts later: the first
  // worker takes the job and hands it back meanwhile.
  const full = new NodeRegistry();
  const attempts: number[] = [];
  full.register(
    'step',
    exec(async () => ({ success: true, data: { ok: true } })),
  );
  full.register(
    'rare',
    exec(async (ctx) => {
      attempts.push(ctx.attempt);
      return { success: true, data: { by: 'peer' } };
    }),
  );
  const peer = h.peerWith(full);
  await peer.registerWorkflow(wf('later', [{ id: 'R', type: 'rare' }]));
  await h.engine.startWorkers(2);
  const id = await peer.enqueueWorkflow('later', {});
  // The first engine meets the job before a worker with the type exists, and hands it back.
  await until(
    async () =>
      (await h.redis.hget(`${h.prefix}:nodes:${id}.R`, 'data'))?.includes('typeWaitSince'),
    10_000,
    'the job to be handed back',
  );
  expect((await h.store.getExecution(id))?.nodeResults.R?.status).toBe('queued');
  // (Which worker takes a due job is a race: the mixed-fleet test of crash-loops.pg.test.ts
  // runs both kinds together; here the lacking one leaves, so the outcome is certain.)
  await h.engine.close();
  await peer.startWorkers(1);
  const state = await peer.waitForExecution(id, { timeoutMs: 15_000 });
  expect(state.status).toBe('completed');
  expect(state.nodeResults.R).toMatchObject({
    status: 'completed',
    attempts: 1,
    data: { by: 'peer' },
  });
  expect(attempts).toEqual([1]);
});
