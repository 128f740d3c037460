import { NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { Redis } from 'ioredis';
import { afterEach, expect } from 'vitest';
import { WorkflowEngine, type WorkflowEngineOptions } from '../src/index.js';
import {
  deferred,
  deleteKeys,
  exec,
  REDIS_URL,
  record,
  silentLogger,
  TEST_TIMINGS,
  until,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.js';
import { type EngineProcess, spawnEngine } from './support/spawn-engine.js';

// Store faults (issue #16, findings 1, 2 and 5): a private PostgreSQL this file stops and
// starts; the engine's retry budget stays the tests' tiny default (3 attempts, 10 ms).

let pgServer: PrivatePostgres | undefined;
let engine: WorkflowEngine | undefined;
let store: PostgresExecutionStore | undefined;
let prefix = '';
const children: EngineProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGKILL');
  await engine?.close();
  await store?.close();
  await pgServer?.stop();
  engine = undefined;
  store = undefined;
  pgServer = undefined;
  if (prefix) {
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
});

/** An engine on a private PostgreSQL; `calls` counts executor runs by node, `attempts` their ctx.attempt. */
async function privateEngine(
  onRun: (nodeId: string) => Promise<void> = async () => {},
  options: WorkflowEngineOptions = {},
) {
  pgServer = await startPrivatePostgres();
  store = new PostgresExecutionStore({ connectionString: pgServer.url, schema: 'spane' });
  await store.migrate();
  const registry = new NodeRegistry();
  const runs: { nodeId: string; attempt: number }[] = [];
  registry.register(
    'step',
    exec(async (ctx) => {
      runs.push({ nodeId: ctx.nodeId, attempt: ctx.attempt });
      await onRun(ctx.nodeId);
      return { success: true, data: { node: ctx.nodeId } };
    }),
  );
  prefix = `spane-test-infra-${process.pid}-${Date.now()}`;
  engine = new WorkflowEngine(registry, store, REDIS_URL, {
    ...TEST_TIMINGS,
    prefix,
    logger: silentLogger,
    ...options,
  });
  return { engine, runs, pg: pgServer };
}

const chain = wf('chain', [
  { id: 'A', type: 'step' },
  { id: 'B', type: 'step', inputs: ['A'] },
  { id: 'C', type: 'step', inputs: ['B'] },
]);

it('a store outage after a successful executor records its result when the store is back: the executor runs once, under the same attempt', async () => {
  const bRunning = deferred();
  const releaseB = deferred();
  const { engine, runs, pg } = await privateEngine(async (nodeId) => {
    if (nodeId !== 'B') return;
    bRunning.resolve();
    await releaseB.promise;
  });
  await engine.registerWorkflow(chain);
  await engine.startWorkers(2);
  const id = await engine.enqueueWorkflow('chain', {});
  await bRunning.promise;
  await pg.down();
  releaseB.resolve();
  // Far longer than the node's retry budget (3 attempts 10 ms apart).
  await new Promise((r) => setTimeout(r, 1_500));
  await pg.up();
  const state = await engine.waitForExecution(id, { timeoutMs: 30_000 });
  expect(state.status).toBe('completed');
  expect(runs.filter((r) => r.nodeId === 'B')).toEqual([{ nodeId: 'B', attempt: 1 }]);
  expect(state.nodeResults.B).toMatchObject({ status: 'completed', attempts: 1 });
  expect(runs.filter((r) => r.nodeId === 'C')).toHaveLength(1);
  // The failed store calls were retried by the engine (and counted), not by BullMQ.
  expect(engine.getFaultCounts().infraRetries).toBeGreaterThan(0);
});

it('a store outage longer than the retry budget strands no execution: every one completes, every node runs once', async () => {
  const { engine, runs, pg } = await privateEngine(async () => {
    await new Promise((r) => setTimeout(r, 20));
  });
  await engine.registerWorkflow(chain);
  await engine.startWorkers(4);
  const ids = await Promise.all(
    Array.from({ length: 20 }, (_, i) => engine.enqueueWorkflow('chain', { i })),
  );
  await until(() => runs.length >= 10, 20_000, 'nodes to run');
  await pg.down();
  await new Promise((r) => setTimeout(r, 4_500));
  await pg.up();
  const states = await Promise.all(
    ids.map((id) => engine.waitForExecution(id, { timeoutMs: 60_000 })),
  );
  for (const state of states) expect(state.status).toBe('completed');
  // 20 executions × 3 nodes, each node run once: no attempt burnt by the outage.
  expect(runs).toHaveLength(60);
  expect(runs.every((r) => r.attempt === 1)).toBe(true);
});

it('a process that dies right after its commit: the run that takes over sends the events it may not have sent, with the same event ids', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  const refuse = exec(async () => {
    throw new Error('this process runs no workers');
  });
  h.registry.register('step', refuse);
  h.registry.register('hang', refuse);
  await h.engine.registerWorkflow(
    wf('dies', [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'step', inputs: ['A'] },
    ]),
  );
  const completed = record(h.engine, 'workflow:completed');
  const nodeCompleted = record(h.engine, 'node:completed');
  const first = await spawnEngine({ prefix: h.prefix, schema: h.schema!, dieAfterCommit: 'B' });
  children.push(first);
  await first.line('ready');
  const id = await h.engine.enqueueWorkflow('dies', {});
  await until(async () => (await h.store.getExecution(id))?.status === 'completed', 20_000, 'B');
  // The process died after B's commit (the last node): no workflow:completed was sent.
  await until(() => first.child.exitCode !== null || first.child.signalCode !== null, 10_000);
  const second = await spawnEngine({ prefix: h.prefix, schema: h.schema! });
  children.push(second);
  await until(() => completed.some((e) => e.executionId === id), 20_000, 'workflow:completed');
  const mine = completed.filter((e) => e.executionId === id);
  expect(mine[0]?.eventId).toBe(`workflow:completed:${id}`);
  const b = nodeCompleted.filter((e) => e.executionId === id && e.nodeId === 'B');
  expect(b.length).toBeGreaterThanOrEqual(1);
  expect(new Set(b.map((e) => e.eventId))).toEqual(new Set([`node:completed:${id}:B:1`]));
});
