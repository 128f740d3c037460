import { NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { afterEach, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import {
  deferred,
  deleteKeys,
  exec,
  REDIS_URL,
  silentLogger,
  TEST_TIMINGS,
  until,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.js';
import { type EngineProcess, spawnEngine } from './support/spawn-engine.js';
import { diamond } from './support/workflow-shapes.js';

// Processes can only share a store that lives outside them: these tests run on PostgreSQL.

const children: EngineProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill('SIGKILL');
});

const refuse = exec(async () => {
  throw new Error('this process runs no workers');
});

it('a second engine process shares the work; every node runs once', async ({ harness }) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register(
    'step',
    exec(async (ctx) => {
      await new Promise((r) => setTimeout(r, 2));
      return { success: true, data: { pid: process.pid, node: ctx.nodeId } };
    }),
  );
  h.registry.register('hang', refuse);
  await h.engine.registerWorkflow(diamond('shared', 'step'));
  const child = await spawnEngine({ prefix: h.prefix, schema: h.schema!, stepMs: 2 });
  children.push(child);
  await h.engine.startWorkers(4);
  const ids = await Promise.all(
    Array.from({ length: 30 }, (_, i) => h.engine.enqueueWorkflow('shared', { i })),
  );
  const states = await Promise.all(
    ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 30_000 })),
  );
  const pids = new Set<number>();
  for (const state of states) {
    expect(state.status).toBe('completed');
    for (const node of Object.values(state.nodeResults)) {
      expect(node).toMatchObject({ status: 'completed', attempts: 1 });
      pids.add((node.data as { pid: number }).pid);
    }
    expect(Object.keys((state.nodeResults.D?.data as object) ?? {})).toEqual(['pid', 'node']);
  }
  expect(pids).toEqual(new Set([process.pid, child.pid]));
});

it('SIGKILL of an engine process mid-node: a new process runs the node again and the run completes, each result recorded once', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register('step', refuse);
  h.registry.register('hang', refuse);
  await h.engine.registerWorkflow(
    wf('killed', [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'hang', inputs: ['A'] },
      { id: 'C', type: 'step', inputs: ['B'] },
    ]),
  );
  const first = await spawnEngine({ prefix: h.prefix, schema: h.schema!, hang: true });
  children.push(first);
  const id = await h.engine.enqueueWorkflow('killed', { n: 1 });
  expect(await first.line('running')).toBe(`running ${id} B`);

  await first.kill('SIGKILL');
  const killedAt = Date.now();
  const second = await spawnEngine({ prefix: h.prefix, schema: h.schema!, hang: false });
  children.push(second);
  await until(
    async () => (await h.store.getExecution(id))?.nodeResults.B?.status === 'completed',
    20_000,
    'B',
  );
  const recoveryMs = Date.now() - killedAt;
  const state = await h.engine.waitForExecution(id, { timeoutMs: 20_000 });
  expect(state.status).toBe('completed');
  // The re-run is the next attempt: the engine cannot tell a dead worker from a stalled one.
  expect(state.nodeResults.B).toMatchObject({ attempts: 2, data: { pid: second.pid, node: 'B' } });
  const logs = await h.engine.getLogs(id);
  for (const node of ['A', 'B', 'C']) {
    expect(logs.filter((l) => l.message.startsWith(`node '${node}' completed`))).toHaveLength(1);
  }
  // With lockDurationMs 1000 and stalledIntervalMs 500 (and a process start in between).
  console.log(`recovery after SIGKILL: node B completed ${recoveryMs} ms after the kill`);
  expect(recoveryMs).toBeLessThan(20_000);
});

it('SIGKILL while a join runs in its last parent’s job: the carrier’s job runs again, the join gets a job of its own and the run completes', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register('step', refuse);
  h.registry.register('hang', refuse);
  await h.engine.registerWorkflow(
    wf('join-killed', [
      { id: 'A', type: 'step' },
      { id: 'B1', type: 'step', inputs: ['A'] },
      { id: 'B2', type: 'step', inputs: ['A'] },
      { id: 'J', type: 'hang', inputs: ['B1', 'B2'] },
      { id: 'K', type: 'step', inputs: ['J'] },
    ]),
  );
  const first = await spawnEngine({ prefix: h.prefix, schema: h.schema!, hang: true });
  children.push(first);
  const id = await h.engine.enqueueWorkflow('join-killed', { n: 1 });
  expect(await first.line('running')).toBe(`running ${id} J`);
  // J runs in the job of B1 or B2 (carried): it has no job of its own.
  expect(await h.redis.exists(`${h.prefix}:nodes:${id}.J`)).toBe(0);
  await first.kill('SIGKILL');
  const second = await spawnEngine({ prefix: h.prefix, schema: h.schema!, hang: false });
  children.push(second);
  const state = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
  expect(state.status).toBe('completed');
  expect(state.nodeResults.J).toMatchObject({ attempts: 2, data: { pid: second.pid, node: 'J' } });
  expect(state.nodeResults.K).toMatchObject({ status: 'completed', attempts: 1 });
  const logs = await h.engine.getLogs(id);
  for (const node of ['A', 'B1', 'B2', 'J', 'K']) {
    expect(logs.filter((l) => l.message.startsWith(`node '${node}' completed`))).toHaveLength(1);
  }
});

let pgServer: PrivatePostgres | undefined;
afterEach(async () => {
  await pgServer?.stop();
  pgServer = undefined;
});

it('a PostgreSQL restart mid-run crashes nothing, and the run completes once the server is back', async () => {
  pgServer = await startPrivatePostgres();
  const store = new PostgresExecutionStore({ connectionString: pgServer.url, schema: 'spane' });
  await store.migrate();
  const registry = new NodeRegistry();
  const bRunning = deferred();
  const releaseB = deferred();
  const calls: Record<string, number> = {};
  registry.register(
    'step',
    exec(async (ctx) => {
      calls[ctx.nodeId] = (calls[ctx.nodeId] ?? 0) + 1;
      if (ctx.nodeId === 'B') {
        bRunning.resolve();
        await releaseB.promise;
      }
      return { success: true, data: { node: ctx.nodeId } };
    }),
  );
  const prefix = `spane-test-pg-${process.pid}-${Date.now()}`;
  const engine = new WorkflowEngine(registry, store, REDIS_URL, {
    ...TEST_TIMINGS,
    prefix,
    logger: silentLogger,
  });
  try {
    await engine.registerWorkflow(
      wf(
        'restarted',
        [
          { id: 'A', type: 'step' },
          { id: 'B', type: 'step', inputs: ['A'] },
          { id: 'C', type: 'step', inputs: ['B'] },
        ],
        { defaults: { retry: { attempts: 20, backoff: { type: 'fixed', delayMs: 250 } } } },
      ),
    );
    await engine.startWorkers(2);
    const id = await engine.enqueueWorkflow('restarted', {});
    await bRunning.promise;
    await pgServer.down();
    // B finishes while the database is down: recording its result fails until it is back.
    releaseB.resolve();
    await until(() => calls.B !== undefined && calls.B >= 1, 5_000, 'B to finish');
    // The outage lasts a moment (a deliberate downtime, not a wait for an outcome).
    await new Promise((r) => setTimeout(r, 1_000));
    await pgServer.up();
    const state = await engine.waitForExecution(id, { timeoutMs: 45_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.C).toMatchObject({ status: 'completed', data: { node: 'C' } });
    expect(calls.A).toBe(1);
    expect(calls.C).toBe(1);
  } finally {
    await engine.close();
    await store.close();
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
});
