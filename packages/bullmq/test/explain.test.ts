import {
  type ExecutionExplanation,
  ExecutionNotFoundError,
  type NodeExplanation,
} from '@spane/core';
import { Queue } from 'bullmq';
import { describe, expect } from 'vitest';
import type { WorkflowEngine } from '../src/index.js';
import { nodeJobId } from '../src/node-jobs.js';
import { NODE_QUEUE, typeQueueName } from '../src/node-queues.js';
import { deferred, exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

/** An executor that tells when each run starts and holds every run until `release`. */
function holding() {
  const gate = deferred();
  const started: string[] = [];
  const executor = exec(async (ctx) => {
    started.push(`${ctx.executionId}/${ctx.nodeId}`);
    await gate.promise;
    return { success: true };
  });
  return { executor, started, release: () => gate.resolve() };
}

/** The explanation of one node (the test fails when it is not listed). */
function nodeOf(explanation: ExecutionExplanation, nodeId: string): NodeExplanation {
  const node = explanation.nodes.find((n) => n.nodeId === nodeId);
  if (!node) throw new Error(`node ${nodeId} is not explained: ${JSON.stringify(explanation)}`);
  return node;
}

/** Explains until the node's reason is of `kind` (or the deadline passes); returns it. */
async function explainedAs(
  engine: WorkflowEngine,
  executionId: string,
  nodeId: string,
  kind: string,
): Promise<NodeExplanation> {
  return until(
    async () => {
      const node = (await engine.explain(executionId)).nodes.find((n) => n.nodeId === nodeId);
      return node?.reason.kind === kind ? node : undefined;
    },
    10_000,
    `${nodeId} explained as ${kind}`,
  );
}

/** Milliseconds from now to an ISO time. */
const fromNow = (iso: string): number => Date.parse(iso) - Date.now();

/** The node queue of the harness's prefix, opened by the test (closed by `close`). */
function nodeQueue(h: Harness, name: string = NODE_QUEUE): Queue {
  return new Queue(name, { connection: h.redis, prefix: h.prefix });
}

describe('engine.explain', () => {
  it('a running node and a child waiting for it; a finished execution has no nodes', async ({
    harness,
  }) => {
    // A lock that a busy machine cannot let expire while A runs (workerAlive stays true).
    const h = await harness({ lockDurationMs: 10_000 });
    const hold = holding();
    h.registry.register('hold', hold.executor);
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(
      wf('chain', [
        { id: 'A', type: 'hold' },
        { id: 'B', type: 'free', inputs: ['A'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('chain');
    await until(() => hold.started.length === 1, 10_000, 'A to start');
    const running = await explainedAs(h.engine, id, 'A', 'running');
    expect(running).toMatchObject({
      nodeType: 'hold',
      status: 'running',
      reason: { kind: 'running', attempt: 1, workerAlive: true },
    });
    expect(running.reason).toHaveProperty('startedAt');
    expect(running.message).toMatch(/^running \(attempt 1, since /);

    const explanation = await h.engine.explain(id);
    expect(explanation).toMatchObject({ executionId: id, workflowId: 'chain', status: 'running' });
    expect(explanation.message).toBe('execution is running: 2 nodes not finished');
    expect(nodeOf(explanation, 'B')).toEqual({
      nodeId: 'B',
      nodeType: 'free',
      status: 'pending',
      reason: { kind: 'waiting-for-parents', parents: [{ nodeId: 'A', status: 'running' }] },
      message: 'waiting for its parent A (running)',
    });

    hold.release();
    await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    const done = await h.engine.explain(id);
    expect(done).toMatchObject({ status: 'completed', message: 'execution completed', nodes: [] });
  });

  it('queued jobs: position and jobs ahead in the order BullMQ takes them', async ({ harness }) => {
    // Without fair scheduling, jobs without a priority go to BullMQ's wait list, which
    // workers take before the prioritized set.
    const h = await harness({ fairScheduling: false });
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]));
    const first = await h.engine.enqueueWorkflow('one');
    const urgent = await h.engine.enqueueWorkflow('one', undefined, { priority: 1 });
    const second = await h.engine.enqueueWorkflow('one');
    const third = await h.engine.enqueueWorkflow('one');

    const reasons = await Promise.all(
      [first, second, third, urgent].map(async (id) => nodeOf(await h.engine.explain(id), 'A')),
    );
    expect(reasons.map((n) => n.reason)).toEqual([
      { kind: 'queued', queue: NODE_QUEUE, position: 1, ahead: 0 },
      { kind: 'queued', queue: NODE_QUEUE, position: 2, ahead: 1 },
      { kind: 'queued', queue: NODE_QUEUE, position: 3, ahead: 2 },
      { kind: 'queued', queue: NODE_QUEUE, position: 4, ahead: 3 },
    ]);
    expect(reasons[0]!.message).toBe(`queued in ${NODE_QUEUE}: next to run (position 1)`);
    expect(reasons[3]!.message).toBe(`queued in ${NODE_QUEUE}: 3 jobs ahead of it (position 4)`);
  });

  it('queued jobs with fair scheduling: the prioritized set, in tag order', async ({ harness }) => {
    const h = await harness();
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]));
    const ids = await h.engine.enqueueWorkflows([
      { workflowId: 'one' },
      { workflowId: 'one' },
      { workflowId: 'one' },
    ]);
    const last = nodeOf(await h.engine.explain(ids[2]!), 'A');
    expect(last.reason).toEqual({ kind: 'queued', queue: NODE_QUEUE, position: 3, ahead: 2 });
  });

  it("max-concurrency: the runs that hold the workflow's slots", async ({ harness }) => {
    const h = await harness();
    const hold = holding();
    h.registry.register('hold', hold.executor);
    await h.engine.registerWorkflow(
      wf('narrow', [{ id: 'A', type: 'hold' }], { maxConcurrency: 1 }),
    );
    await h.engine.startWorkers(4);
    const holder = await h.engine.enqueueWorkflow('narrow');
    await until(() => hold.started.length === 1, 10_000, 'the first run');
    const parked = await h.engine.enqueueWorkflow('narrow');
    const node = await explainedAs(h.engine, parked, 'A', 'max-concurrency');
    expect(node.reason).toEqual({
      kind: 'max-concurrency',
      limit: 1,
      holders: [{ executionId: holder, nodeId: 'A' }],
    });
    expect(node.message).toBe(
      `waiting for a slot of the workflow's maxConcurrency (1), held by ${holder}/A`,
    );
    hold.release();
    await h.engine.waitForExecution(parked, { timeoutMs: 10_000 });
  });

  it("rate-limited: the type's rate limit is used up until its window ends", async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('metered', noop, { rateLimit: { max: 1, durationMs: 60_000 } });
    await h.engine.registerWorkflow(wf('metered-flow', [{ id: 'M', type: 'metered' }]));
    await h.engine.startWorkers(2);
    const first = await h.engine.enqueueWorkflow('metered-flow');
    await h.engine.waitForExecution(first, { timeoutMs: 10_000 });
    const held = await h.engine.enqueueWorkflow('metered-flow');
    const node = await explainedAs(h.engine, held, 'M', 'rate-limited');
    expect(node.reason).toMatchObject({
      kind: 'rate-limited',
      nodeType: 'metered',
      position: 1,
      ahead: 0,
    });
    const retryAt = (node.reason as { retryAt: string }).retryAt;
    expect(fromNow(retryAt)).toBeGreaterThan(30_000);
    expect(fromNow(retryAt)).toBeLessThanOrEqual(60_000);
    expect(node.message).toBe(
      `held by the rate limit of node type 'metered' until ${retryAt}; 0 jobs ahead of it (position 1)`,
    );
  });

  it('type-concurrency: the runs of its type fill the type’s concurrency', async ({ harness }) => {
    const h = await harness();
    const hold = holding();
    h.registry.register('exclusive', hold.executor, { concurrency: 1 });
    await h.engine.registerWorkflow(wf('exclusive-flow', [{ id: 'X', type: 'exclusive' }]));
    await h.engine.startWorkers(4);
    const [, second, third] = await h.engine.enqueueWorkflows([
      { workflowId: 'exclusive-flow' },
      { workflowId: 'exclusive-flow' },
      { workflowId: 'exclusive-flow' },
    ]);
    await until(() => hold.started.length === 1, 10_000, 'one run');
    const node = await explainedAs(h.engine, third!, 'X', 'type-concurrency');
    expect(node.reason).toEqual({
      kind: 'type-concurrency',
      nodeType: 'exclusive',
      limit: 1,
      running: 1,
      position: 2,
      ahead: 1,
    });
    expect(node.message).toBe(
      "held by the concurrency of node type 'exclusive': 1 of 1 runs in progress; 1 job ahead of it (position 2)",
    );
    expect(nodeOf(await h.engine.explain(second!), 'X').reason).toMatchObject({ position: 1 });
    hold.release();
    await h.engine.waitForExecution(third!, { timeoutMs: 10_000 });
  });

  it("breaker-open: the type's circuit breaker holds its job until it may probe", async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'flaky',
      exec(async () => {
        throw new Error('down');
      }),
      {
        retry: { attempts: 1 },
        breaker: { failureRate: 0.5, minimumRuns: 1, windowMs: 60_000, openMs: 60_000 },
      },
    );
    await h.engine.registerWorkflow(wf('flaky-flow', [{ id: 'F', type: 'flaky' }]));
    await h.engine.startWorkers(2);
    const failed = await h.engine.enqueueWorkflow('flaky-flow');
    expect((await h.engine.waitForExecution(failed, { timeoutMs: 10_000 })).status).toBe('failed');
    const held = await h.engine.enqueueWorkflow('flaky-flow');
    const node = await explainedAs(h.engine, held, 'F', 'breaker-open');
    expect(node.reason).toMatchObject({ kind: 'breaker-open', nodeType: 'flaky' });
    const until_ = (node.reason as { until: string }).until;
    expect(fromNow(until_)).toBeGreaterThan(30_000);
    expect(node.message).toBe(
      `held by the circuit breaker of node type 'flaky', open until ${until_}`,
    );
    expect((await h.engine.getBreakerStates()).flaky).toEqual({
      state: 'open',
      opensUntil: until_,
    });
  });

  it('execution-paused: queued, then parked by a worker', async ({ harness }) => {
    const h = await harness();
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]));
    const id = await h.engine.enqueueWorkflow('one');
    await h.engine.pauseWorkflow(id);
    const queued = await h.engine.explain(id);
    expect(queued.status).toBe('paused');
    expect(queued.message).toBe(
      'execution is paused: no node starts until it is resumed (1 node not finished)',
    );
    expect(nodeOf(queued, 'A')).toMatchObject({
      status: 'queued',
      reason: { kind: 'execution-paused' },
      message: 'the execution is paused: it starts once the execution is resumed',
    });
    await h.engine.startWorkers(1);
    const queue = nodeQueue(h);
    await until(
      async () => (await queue.getJobState(nodeJobId(id, 'A'))) === 'delayed',
      10_000,
      'the job to park',
    );
    await queue.close();
    expect(nodeOf(await h.engine.explain(id), 'A').reason).toEqual({ kind: 'execution-paused' });
  });

  it('delayed: a delay node sleeps until its wake time', async ({ harness }) => {
    const h = await harness();
    await h.engine.registerWorkflow(
      wf('sleepy', [{ id: 'D', type: 'delay', config: { durationMs: 60_000 } }]),
    );
    await h.engine.startWorkers(1);
    const before = Date.now();
    const id = await h.engine.enqueueWorkflow('sleepy');
    // The job sleeps first, then the store says `delayed`: wait for both.
    await until(
      async () => (await h.store.getExecution(id))?.nodeResults.D?.status === 'delayed',
      10_000,
      'D to be delayed in the store',
    );
    const node = await explainedAs(h.engine, id, 'D', 'delayed');
    expect(node.status).toBe('delayed');
    const wake = Date.parse((node.reason as { until: string }).until);
    expect(wake).toBeGreaterThanOrEqual(before + 60_000);
    expect(wake).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(node.message).toBe(`delayed until ${new Date(wake).toISOString()}`);
  });

  it('delayed: an execution whose start is delayed', async ({ harness }) => {
    const h = await harness();
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]));
    const before = Date.now();
    const id = await h.engine.enqueueWorkflow('one', undefined, { delayMs: 60_000 });
    const explanation = await h.engine.explain(id);
    expect(explanation.status).toBe('pending');
    const node = nodeOf(explanation, 'A');
    expect(node.reason.kind).toBe('delayed');
    const due = Date.parse((node.reason as { until: string }).until);
    expect(due).toBeGreaterThanOrEqual(before + 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('retrying: the next attempt, when it runs and the last error', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'fails',
      exec(async () => {
        throw new Error('boom');
      }),
      { retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 60_000 } } },
    );
    await h.engine.registerWorkflow(wf('failing', [{ id: 'A', type: 'fails' }]));
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('failing');
    const node = await explainedAs(h.engine, id, 'A', 'retrying');
    expect(node).toMatchObject({
      status: 'delayed',
      reason: { kind: 'retrying', attempt: 2, lastError: 'boom' },
    });
    const next = (node.reason as { nextTryAt: string }).nextTryAt;
    expect(fromNow(next)).toBeGreaterThan(30_000);
    expect(fromNow(next)).toBeLessThanOrEqual(60_000);
    expect(node.message).toBe(`retrying: attempt 2 runs at ${next} (last error: boom)`);
  });

  it('waiting-for-sub-workflow: the child execution and its status', async ({ harness }) => {
    const h = await harness();
    const hold = holding();
    h.registry.register('hold', hold.executor);
    await h.engine.registerWorkflow(wf('child', [{ id: 'C', type: 'hold' }]));
    await h.engine.registerWorkflow(
      wf('parent', [{ id: 'S', type: 'sub-workflow', config: { workflowId: 'child' } }]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('parent');
    await until(() => hold.started.length === 1, 10_000, 'the child to run');
    const node = await explainedAs(h.engine, id, 'S', 'waiting-for-sub-workflow');
    const children = await h.engine.listExecutions({ parentExecutionId: id });
    expect(children.items).toHaveLength(1);
    const childId = children.items[0]!.executionId;
    expect(node).toMatchObject({
      status: 'waiting',
      reason: {
        kind: 'waiting-for-sub-workflow',
        childExecutionId: childId,
        childStatus: 'running',
      },
      message: `waiting for its sub-workflow ${childId}, which is running`,
    });
    expect(nodeOf(await h.engine.explain(childId), 'C').reason.kind).toBe('running');
    hold.release();
    await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
  });

  it('waiting-for-signal: the signal it waits for and when the wait times out', async ({
    harness,
  }) => {
    const h = await harness();
    await h.engine.registerWorkflow(
      wf('approval', [
        { id: 'W', type: 'wait-for-signal', config: { name: 'approve', timeoutMs: 60_000 } },
        { id: 'F', type: 'wait-for-signal', config: { name: 'forever' } },
      ]),
    );
    await h.engine.startWorkers();
    const before = Date.now();
    const id = await h.engine.enqueueWorkflow('approval');
    const node = await explainedAs(h.engine, id, 'W', 'waiting-for-signal');
    expect(node).toMatchObject({
      nodeType: 'wait-for-signal',
      reason: { kind: 'waiting-for-signal', name: 'approve', timeoutAt: expect.any(String) },
    });
    const timeoutAt = Date.parse((node.reason as { timeoutAt: string }).timeoutAt);
    expect(timeoutAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(timeoutAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(node.message).toContain("'approve'");
    const forever = await explainedAs(h.engine, id, 'F', 'waiting-for-signal');
    expect(forever.reason).toEqual({ kind: 'waiting-for-signal', name: 'forever' });
    await h.engine.signal(id, 'approve', { ok: true });
    await h.engine.signal(id, 'forever', null);
    const done = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(done.nodeResults.W?.data).toEqual({ ok: true });
  });

  it("map: the counts of the map's items (all, done, failed, running)", async ({ harness }) => {
    const h = await harness();
    const gates: (() => void)[] = [];
    h.registry.register(
      'gated',
      exec(async () => {
        await new Promise<void>((r) => gates.push(r));
        return { success: true, data: 1 };
      }),
    );
    await h.engine.registerWorkflow(
      wf('fan', [
        { id: 'M', type: 'map', config: { items: 'input', nodeType: 'gated', concurrency: 2 } },
      ]),
    );
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('fan', [1, 2, 3, 4, 5]);
    await until(() => gates.length === 2, 10_000, 'two items running');
    gates.shift()?.();
    const node = await until(async () => {
      const n = nodeOf(await h.engine.explain(id), 'M');
      return n.reason.kind === 'map' && (n.reason as { done: number }).done === 1 ? n : undefined;
    });
    expect(node).toMatchObject({
      status: 'waiting',
      reason: { kind: 'map', total: 5, done: 1, failed: 0, running: 2 },
    });
    expect(node.message).toMatch(/5/);
    const opener = setInterval(() => {
      for (const open of gates.splice(0)) open();
    }, 5);
    try {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    } finally {
      clearInterval(opener);
    }
  });

  it('lost: the store says queued but Redis has no job; explain changes nothing', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]));
    // A process whose reconciler runs every minute (its first pass, at start, found nothing).
    const reconciling = h.peer({ reconcileIntervalMs: 60_000 });
    await reconciling.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('one', undefined, { delayMs: 60_000 });
    const queue = nodeQueue(h);
    const jobId = nodeJobId(id, 'A');
    expect(await queue.getJobState(jobId)).toBe('delayed');
    await queue.remove(jobId);

    // This engine runs no reconcile pass: it names none.
    const here = nodeOf(await h.engine.explain(id), 'A');
    expect(here).toMatchObject({ status: 'queued', reason: { kind: 'lost', status: 'queued' } });
    expect(here.reason).not.toHaveProperty('reconcileAt');
    expect(here.message).toBe(
      'lost: the store says queued but Redis has no job; reconcile re-enqueues it at the next reconcile pass',
    );
    const there = nodeOf(await reconciling.explain(id), 'A');
    const at = (there.reason as { reconcileAt?: string }).reconcileAt;
    expect(at).toBeDefined();
    expect(fromNow(at!)).toBeGreaterThan(0);
    expect(fromNow(at!)).toBeLessThanOrEqual(60_000);
    expect(there.message).toBe(
      `lost: the store says queued but Redis has no job; reconcile re-enqueues it at ${at}`,
    );
    // Read-only: the job is still missing.
    expect(await queue.getJobState(jobId)).toBe('unknown');
    await queue.close();
  });

  it('refuses an unknown id and another tenant’s execution alike', async ({ harness }) => {
    const h = await harness();
    h.registry.register('free', noop);
    await h.engine.registerWorkflow(wf('one', [{ id: 'A', type: 'free' }]), { tenantId: 'acme' });
    const id = await h.engine.enqueueWorkflow('one', undefined, { tenantId: 'acme' });
    await expect(h.engine.explain('no-such-execution')).rejects.toBeInstanceOf(
      ExecutionNotFoundError,
    );
    await expect(h.engine.explain(id)).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(h.engine.explain(id, { tenantId: 'other' })).rejects.toMatchObject({
      code: 'EXECUTION_NOT_FOUND',
    });
    const own = await h.engine.explain(id, { tenantId: 'acme' });
    expect(nodeOf(own, 'A').reason.kind).toBe('queued');
  });

  it('names the queue of a limited type', async ({ harness }) => {
    const h = await harness();
    h.registry.register('limited', noop, { concurrency: 2 });
    await h.engine.registerWorkflow(wf('lim', [{ id: 'L', type: 'limited' }]));
    const id = await h.engine.enqueueWorkflow('lim');
    expect(nodeOf(await h.engine.explain(id), 'L').reason).toEqual({
      kind: 'queued',
      queue: typeQueueName('limited'),
      position: 1,
      ahead: 0,
    });
  });
});
