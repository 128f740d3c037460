import type { EngineEventMap, ExecutionState } from '@spane/core';
import { describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { exec, type Harness, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

/**
 * Checks node W of a finished execution: its `startedAt` is no later than its first log
 * line, its span's start and its `node:started` event, and `finishedAt − startedAt` covers
 * the `durationMs` of its `node:completed` event and the `waitMs` it waited.
 */
async function expectStartedWhenWaitingBegan(
  h: Harness,
  state: ExecutionState,
  events: {
    started: EngineEventMap['node:started'][];
    completed: EngineEventMap['node:completed'][];
  },
  waitMs: number,
): Promise<void> {
  const id = state.executionId;
  const what = `${state.workflowId} ${id}`;
  expect(state.status, what).toBe('completed');
  const w = state.nodeResults.W!;
  const startedAt = Date.parse(w.startedAt!);
  const finishedAt = Date.parse(w.finishedAt!);
  const logs = (await h.engine.getLogs(id)).filter((l) => l.nodeId === 'W');
  expect(logs[0]!.message, what).toContain('started');
  const span = (await h.engine.getTrace(id)).find((s) => s.nodeId === 'W')!;
  await until(
    () => events.completed.some((e) => e.executionId === id && e.nodeId === 'W'),
    5_000,
    'the completion event',
  );
  const started = events.started.filter((e) => e.executionId === id && e.nodeId === 'W');
  const done = events.completed.find((e) => e.executionId === id && e.nodeId === 'W')!;
  // One attempt, started once: when it began waiting, not when it woke.
  expect(w.attempts, what).toBe(1);
  expect(started, what).toHaveLength(1);
  expect(startedAt, what).toBeLessThanOrEqual(Date.parse(logs[0]!.timestamp));
  expect(startedAt, what).toBeLessThanOrEqual(Date.parse(span.startedAt));
  expect(startedAt, what).toBeLessThanOrEqual(Date.parse(started[0]!.timestamp));
  expect(finishedAt - startedAt, what).toBeGreaterThanOrEqual(done.durationMs);
  expect(finishedAt - startedAt, what).toBeGreaterThanOrEqual(waitMs);
  expect(done.durationMs, what).toBeGreaterThanOrEqual(waitMs);
}

describe("a delay node's startedAt", () => {
  it('is when it began waiting, as its first log line, its event and its span say', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'source',
      exec(async () => ({ success: true, data: { n: 1 } })),
    );
    // Started by its parent's completion…
    await h.engine.registerWorkflow(
      wf('wait-then', [
        { id: 'A', type: 'source' },
        { id: 'W', type: 'delay', inputs: ['A'], config: { durationMs: 400 } },
      ]),
    );
    // …and an entry node, begun by its own job.
    await h.engine.registerWorkflow(
      wf('wait-first', [{ id: 'W', type: 'delay', config: { durationMs: 400 } }]),
    );
    const events = {
      started: record(h.engine, 'node:started'),
      completed: record(h.engine, 'node:completed'),
    };
    await h.engine.startWorkers(2);
    for (const workflowId of ['wait-then', 'wait-first']) {
      const id = await h.engine.enqueueWorkflow(workflowId);
      const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
      await expectStartedWhenWaitingBegan(h, state, events, 400);
    }
  });

  it('stays when it began waiting across a pause that outlasts the wake time', async ({
    harness,
  }) => {
    const h = await harness();
    await h.engine.registerWorkflow(
      wf('wait-paused', [{ id: 'W', type: 'delay', config: { durationMs: 300 } }]),
    );
    const events = {
      started: record(h.engine, 'node:started'),
      completed: record(h.engine, 'node:completed'),
    };
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('wait-paused');
    await until(
      async () => (await h.engine.getExecution(id))?.nodeResults.W?.status === 'delayed',
      5_000,
      'W delayed',
    );
    await h.engine.pauseWorkflow(id);
    // Woken while paused, the job parks; the resume runs it.
    await until(
      async () => (await h.redis.sismember(`${h.prefix}:parked:${id}`, nodeJobId(id, 'W'))) === 1,
      5_000,
      'the woken delay to be parked',
    );
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    await expectStartedWhenWaitingBegan(h, state, events, 300);
  });
});
