import { WorkflowValidationError } from '@spane/core';
import { describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { exec, type Harness, jobsIn, keysOf, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

async function nodeStatus(h: Harness, executionId: string, nodeId: string) {
  return (await h.engine.getExecution(executionId))?.nodeResults[nodeId]?.status;
}

async function registerSteps(harness: Harness, inputs: Map<string, unknown>) {
  harness.registry.register(
    'source',
    exec(async (ctx) => ({ success: true, data: { from: ctx.nodeId, at: Date.now() } })),
  );
  harness.registry.register(
    'sink',
    exec(async (ctx) => {
      inputs.set(ctx.executionId, ctx.inputData);
      return { success: true, data: Date.now() };
    }),
  );
}

const delayed = (id: string, config: Record<string, unknown>) =>
  wf(id, [
    { id: 'A', type: 'source' },
    { id: 'W', type: 'delay', inputs: ['A'], config },
    { id: 'B', type: 'sink', inputs: ['W'] },
  ]);

describe('delay nodes', () => {
  it('wait in the delayed set without a worker slot and pass their input on', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = new Map<string, unknown>();
    await registerSteps(h, inputs);
    await h.engine.registerWorkflow(delayed('wait', { durationMs: 300 }));
    await h.engine.registerWorkflow(delayed('past', { until: '2001-01-01T00:00:00Z' }));
    await h.engine.registerWorkflow(wf('quick', [{ id: 'Q', type: 'sink' }]));
    const started = record(h.engine, 'node:started');
    const completed = record(h.engine, 'node:completed');
    await h.engine.startWorkers(1);

    const id = await h.engine.enqueueWorkflow('wait');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    expect(await jobsIn(h.redis, h.prefix, 'delayed')).toContain(nodeJobId(id, 'W'));
    // The only worker slot is free: another execution runs meanwhile.
    const quick = await h.engine.enqueueWorkflow('quick');
    expect((await h.engine.waitForExecution(quick, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(await nodeStatus(h, id, 'W')).toBe('delayed');

    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    const a = state.nodeResults.A?.data as { at: number };
    expect(state.nodeResults.W?.data).toEqual(state.nodeResults.A?.data);
    expect(inputs.get(id)).toEqual(state.nodeResults.A?.data);
    expect((state.nodeResults.B?.data as number) - a.at).toBeGreaterThanOrEqual(300);
    await until(
      () => completed.some((e) => e.executionId === id && e.nodeId === 'B'),
      5_000,
      'events',
    );
    expect(started.filter((e) => e.executionId === id && e.nodeId === 'W')).toHaveLength(1);
    const wCompleted = completed.filter((e) => e.executionId === id && e.nodeId === 'W');
    expect(wCompleted).toHaveLength(1);
    expect(wCompleted[0]!.durationMs).toBeGreaterThanOrEqual(300);
    const span = (await h.engine.getTrace(id)).find((s) => s.nodeId === 'W')!;
    expect(span).toMatchObject({ status: 'ok', attempt: 1 });
    expect(Date.parse(span.finishedAt!) - Date.parse(span.startedAt)).toBeGreaterThanOrEqual(300);

    // A time in the past does not wait.
    const past = await h.engine.enqueueWorkflow('past');
    const pastState = await h.engine.waitForExecution(past, { timeoutMs: 5_000 });
    expect(pastState.status).toBe('completed');
    expect(pastState.nodeResults.W?.data).toEqual(pastState.nodeResults.A?.data);
  });

  it('rejects invalid delay configs at registration', async ({ harness }) => {
    const h = await harness();
    const error = await h.engine
      .registerWorkflow(
        wf('bad', [
          { id: 'A', type: 'delay', config: { durationMs: 5, until: '2030-01-01T00:00:00Z' } },
          { id: 'B', type: 'delay', config: { durationMs: -1 } },
          { id: 'C', type: 'delay', config: { until: 'tomorrow' } },
          { id: 'D', type: 'delay' },
          { id: 'E', type: 'delay', config: { durationMs: 1e20 } },
          { id: 'F', type: 'delay', config: { until: '9999-01-01T00:00:00Z' } },
        ]),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).issues.map((i) => [i.path, i.message])).toEqual([
      ['/nodes/0/config', 'config must be either { durationMs } or { until }'],
      ['/nodes/1/config/durationMs', 'config.durationMs must be >= 0'],
      ['/nodes/2/config/until', expect.stringMatching(/^config\.until is not valid \(An ISO-8601/)],
      ['/nodes/3/config', 'config must be either { durationMs } or { until }'],
      ['/nodes/4/config/durationMs', 'config.durationMs must be <= 31622400000'],
      ['/nodes/5/config/until', 'config.until must be at most 2039-09-07T15:47:35.551Z'],
    ]);
  });

  it('ends when the execution is cancelled, leaving no job', async ({ harness }) => {
    const h = await harness();
    await registerSteps(h, new Map());
    await h.engine.registerWorkflow(delayed('long', { durationMs: 60_000 }));
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('long');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.cancelWorkflow(id);
    const state = await h.engine.getExecution(id);
    expect(state?.status).toBe('cancelled');
    expect(state?.nodeResults.W?.status).toBe('cancelled');
    expect(await keysOf(h.redis, h.prefix, id)).toEqual([]);
  });

  it('keeps its absolute wake time across a pause', async ({ harness }) => {
    const h = await harness();
    const inputs = new Map<string, unknown>();
    await registerSteps(h, inputs);
    // 2 s: both delays are seen and paused before either wakes, and a restarted delay (2 s
    // more) stands apart from a loaded machine's hop from W to B (it was 500 ms, and 450 ms
    // for the hop, until 2026-12-07).
    await h.engine.registerWorkflow(delayed('pausable', { durationMs: 2_000 }));
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(2);
    const [late, early] = await h.engine.enqueueWorkflows([
      { workflowId: 'pausable' },
      { workflowId: 'pausable' },
    ]);
    for (const id of [late!, early!]) {
      await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
      await h.engine.pauseWorkflow(id);
    }

    // Resumed before the wake time: it wakes at the time set when the delay began.
    await h.engine.resumeWorkflow(early!);
    const earlyState = await h.engine.waitForExecution(early!, { timeoutMs: 5_000 });
    expect(earlyState.status).toBe('completed');
    await until(
      () => started.some((e) => e.executionId === early && e.nodeId === 'B'),
      5_000,
      'events',
    );
    const wStart = Date.parse(
      started.find((e) => e.executionId === early && e.nodeId === 'W')!.timestamp,
    );
    const woke = earlyState.nodeResults.B?.data as number;
    expect(woke - wStart).toBeGreaterThanOrEqual(2_000);
    expect(woke - wStart).toBeLessThan(4_000);

    // Resumed after the wake time: the delay is over, the node runs at once.
    await until(
      async () =>
        (await h.redis.sismember(`${h.prefix}:parked:${late}`, nodeJobId(late!, 'W'))) === 1,
      5_000,
      'the woken delay to be parked',
    );
    const resumedAt = Date.now();
    await h.engine.resumeWorkflow(late!);
    const lateState = await h.engine.waitForExecution(late!, { timeoutMs: 5_000 });
    expect(lateState.status).toBe('completed');
    // Restarting the delay would take another 2 s.
    expect((lateState.nodeResults.B?.data as number) - resumedAt).toBeLessThan(1_500);
  });
});
