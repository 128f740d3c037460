import { once } from 'node:events';
import { NodeRegistry } from '@spane/core';
import { afterEach, expect } from 'vitest';
import { exec, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { type EngineProcess, spawnEngine } from './support/spawn-engine.js';

// Real worker processes whose node run kills them (process.exit), and a mixed fleet in which
// one process lacks a node type. Processes can only share a store outside them: Postgres.

const children: EngineProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGKILL');
});

const refuse = exec(async () => {
  throw new Error('this node type does not run in the test process');
});

it('a node whose runs kill their worker is dead-lettered after maxNodeCrashes (3) crashes, saying so', {
  timeout: 90_000,
}, async ({ harness }) => {
  const h = await harness({ logger: silentLogger });
  // The test process starts no workers: the `crash` node runs only in child processes.
  h.registry.register('step', refuse);
  h.registry.register('crash', refuse);
  await h.engine.registerWorkflow(
    wf('crashing', [
      { id: 'X', type: 'crash' },
      { id: 'Y', type: 'step', inputs: ['X'] },
    ]),
  );
  const id = await h.engine.enqueueWorkflow('crashing', {});
  const firstCrashAt = Date.now();
  // Three worker processes, one after the other, each killed by the node's run.
  for (let i = 1; i <= 3; i++) {
    // It may crash before it prints `ready`.
    const child = await spawnEngine({ prefix: h.prefix, schema: h.schema!, ready: false });
    children.push(child);
    const [code] = await once(child.child, 'exit');
    expect(code).toBe(1);
    expect(await child.line('crashing', 0)).toBe(`crashing ${id} X`);
  }
  // The fourth process finds the node crashed its worker three times: it does not run it
  // again but fails it (before the fix it ran it, and crashed too).
  const fourth = await spawnEngine({ prefix: h.prefix, schema: h.schema! });
  children.push(fourth);
  const state = await until(
    async () => {
      const s = await h.store.getExecution(id);
      return s?.status === 'failed' ? s : undefined;
    },
    30_000,
    'the execution to fail',
  );
  expect(fourth.child.exitCode).toBeNull();
  const error = state.nodeResults.X?.error ?? '';
  expect(state.nodeResults.X?.status).toBe('failed');
  expect(error).toMatch(
    /^node 'X' crashed its worker 3 times \(process exit, out of memory or kill\)/,
  );
  const dlq = await h.engine.getDLQItems();
  expect(dlq).toHaveLength(1);
  expect(dlq[0]).toMatchObject({ executionId: id, nodeId: 'X' });
  expect(dlq[0]!.error).toBe(error);
  // BullMQ alone would have needed maxStalledCount (10) + 1 crashes.
  const elapsedMs = Date.now() - firstCrashAt;
  console.log(`crash loop: dead-lettered ${elapsedMs} ms after the first run started`);
  expect(elapsedMs).toBeLessThan(60_000);
});

it('a mixed fleet (one process lacks a node type) completes every node: the node waits for a worker that has it', {
  timeout: 150_000,
}, async ({ harness }) => {
  const lines: string[] = [];
  const capture = {
    debug: (m: string) => lines.push(m),
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  // Each hand-back is a race for the job between the idle workers, which this process's
  // idle slots often win: with 4 of them here, 80 `hang` nodes waited up to 31 s, with 1 up
  // to 16 s. A node fails after missingNodeTypeWaitMs (60 s by default), so the tail of
  // that race failed this test now and then; the wait here is twice that, and one slot.
  const h = await harness({ logger: capture, missingNodeTypeWaitMs: 120_000 });
  // This process registers `step` only; the child registers `step` and `hang`.
  h.registry.register(
    'step',
    exec(async (ctx) => ({ success: true, data: { pid: process.pid, node: ctx.nodeId } })),
  );
  // Registering the workflow needs every type: a peer that starts no workers does it.
  const full = new NodeRegistry();
  full.register('step', refuse);
  full.register('hang', refuse);
  const registrar = h.peerWith(full);
  await registrar.registerWorkflow(
    wf('mixed', [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'hang', inputs: ['A'] },
      { id: 'C', type: 'hang', inputs: ['A'] },
      { id: 'D', type: 'step', inputs: ['B', 'C'] },
    ]),
  );
  const child = await spawnEngine({ prefix: h.prefix, schema: h.schema!, concurrency: 2 });
  children.push(child);
  await h.engine.startWorkers(1);
  const ids = await Promise.all(
    Array.from({ length: 40 }, (_, i) => registrar.enqueueWorkflow('mixed', { i })),
  );
  const states = await Promise.all(
    ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 120_000 })),
  );
  const failed = states.filter((s) => s.status !== 'completed');
  expect(failed.map((s) => s.nodeResults)).toEqual([]);
  for (const s of states) {
    for (const node of ['B', 'C']) {
      expect(s.nodeResults[node]).toMatchObject({ status: 'completed', attempts: 1 });
      expect(s.nodeResults[node]?.data).toMatchObject({ pid: child.pid });
    }
  }
  // This process did take some `hang` jobs, and handed them back.
  expect(lines.some((l) => /node type 'hang' is not registered here/.test(l))).toBe(true);
});
