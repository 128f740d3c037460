import {
  ExecutionNotFoundError,
  InvalidArgumentError,
  InvalidTransitionError,
  NodeNotFoundError,
  WorkflowValidationError,
} from '@spane/core';
import { expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { exec, silentLogger, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoNodeId, noop } from './support/stock-executors.js';

it('getTrace has one span per node attempt; getLogs has engine lines and ctx.log lines in order', async ({
  harness,
}) => {
  const h = await harness();
  let calls = 0;
  h.registry.register(
    'flaky',
    exec(async (ctx) => {
      calls += 1;
      ctx.log.info('working on it', { attempt: ctx.attempt });
      if (calls === 1) throw new Error('first try fails');
      return { success: true, data: { ok: true } };
    }),
  );
  await h.engine.registerWorkflow(
    wf('traced', [
      { id: 'A', type: 'flaky', retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 5 } } },
    ]),
  );
  await h.engine.startWorkers(1);
  const id = await h.engine.enqueueWorkflow('traced');
  expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');

  const spans = (await until(async () => {
    const s = await h.engine.getTrace(id);
    return s.length === 2 ? s : undefined;
  }))!;
  expect(spans.map((s) => [s.nodeId, s.attempt, s.status])).toEqual([
    ['A', 1, 'error'],
    ['A', 2, 'ok'],
  ]);
  expect(spans[0]?.error).toBe('first try fails');
  for (const s of spans)
    expect(Date.parse(s.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt));

  const logs = (await until(async () => {
    const l = await h.engine.getLogs(id);
    return l.some((e) => e.message === 'execution completed') ? l : undefined;
  }))!;
  const messages = logs.map((l) => l.message);
  expect(messages).toContain("node 'A' started (attempt 1)");
  expect(messages).toContain("node 'A' started (attempt 2)");
  const mine = logs.filter((l) => l.message === 'working on it');
  expect(mine.map((l) => l.meta)).toEqual([{ attempt: 1 }, { attempt: 2 }]);
  expect(mine.every((l) => l.nodeId === 'A' && l.level === 'info')).toBe(true);
  expect(messages.indexOf("node 'A' started (attempt 1)")).toBeLessThan(
    messages.indexOf("node 'A' started (attempt 2)"),
  );
});

it('enqueueNode re-adds the job of a queued node and refuses what cannot be queued', async ({
  harness,
}) => {
  const h = await harness({ logger: silentLogger });
  h.registry.register('noop', echoNodeId);
  await h.engine.registerWorkflow(
    wf('manual', [
      { id: 'A', type: 'noop' },
      { id: 'B', type: 'noop', inputs: ['A'] },
    ]),
  );
  const id = await h.engine.enqueueWorkflow('manual');
  // The job of A is lost (removed behind the engine's back) while no worker runs.
  await h.redis.del(`${h.prefix}:nodes:${nodeJobId(id, 'A')}`);
  await h.redis.lrem(`${h.prefix}:nodes:wait`, 0, nodeJobId(id, 'A'));
  // Fair scheduling keeps it in the prioritized set.
  expect(await h.redis.zrem(`${h.prefix}:nodes:prioritized`, nodeJobId(id, 'A'))).toBe(1);
  await h.engine.enqueueNode(id, 'manual', 'A');
  await h.engine.startWorkers(2);
  const done = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
  expect(done.status).toBe('completed');
  expect(done.nodeResults.B?.data).toBe('B');

  await expect(h.engine.enqueueNode(id, 'manual', 'A')).rejects.toBeInstanceOf(
    InvalidTransitionError,
  );
  await expect(h.engine.enqueueNode(id, 'manual', 'Z')).rejects.toBeInstanceOf(NodeNotFoundError);
  await expect(h.engine.enqueueNode(id, 'other', 'A')).rejects.toBeInstanceOf(InvalidArgumentError);
  // The fourth argument is the caller's scope: another tenant's execution is not found.
  await expect(
    h.engine.enqueueNode(id, 'manual', 'A', { tenantId: 'other' }),
  ).rejects.toBeInstanceOf(ExecutionNotFoundError);
});

it('registers, lists, reads and unregisters workflows; invalid definitions are refused with their issues', async ({
  harness,
}) => {
  const h = await harness();
  h.registry.register('noop', noop);
  const stored = await h.engine.registerWorkflow(wf('listed', [{ id: 'A', type: 'noop' }]));
  expect(stored).toMatchObject({ workflowId: 'listed', tenantId: 'default' });
  expect((await h.engine.listWorkflows()).map((w) => w.workflowId)).toEqual(['listed']);
  expect((await h.engine.getWorkflow('listed'))?.version).toBe(stored.version);

  const cyclic = await h.engine
    .registerWorkflow(
      wf('cyclic', [
        { id: 'A', type: 'noop', inputs: ['B'] },
        { id: 'B', type: 'noop', inputs: ['A'] },
      ]),
    )
    .catch((e: unknown) => e);
  expect(cyclic).toBeInstanceOf(WorkflowValidationError);
  expect((cyclic as WorkflowValidationError).issues.map((i) => i.code)).toContain('CYCLE');

  expect(await h.engine.unregisterWorkflow('listed')).toBe(true);
  expect(await h.engine.getWorkflow('listed')).toBeNull();
  expect(await h.engine.listWorkflows()).toEqual([]);
  expect(await h.engine.getWorkflow('listed', { version: stored.version })).not.toBeNull();
});
