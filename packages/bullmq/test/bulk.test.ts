import { WorkflowNotFoundError } from '@spane/core';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, vi } from 'vitest';
import { wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput, noop } from './support/stock-executors.js';

afterEach(async () => {
  vi.restoreAllMocks();
});

describe('bulk operations', () => {
  it('enqueueWorkflows checks every request first and adds all first jobs in one addBulk', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('step', echoInput);
    await h.engine.registerWorkflow(
      wf('pair', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step' },
      ]),
    );
    await h.engine.registerWorkflow(
      wf('timed', [{ id: 'T', type: 'step' }], { timeoutMs: 60_000 }),
    );

    await expect(
      h.engine.enqueueWorkflows([{ workflowId: 'pair' }, { workflowId: 'missing' }]),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await h.engine.listExecutions({ workflowId: 'pair' })).items).toEqual([]);

    const addBulk = vi.spyOn(Queue.prototype, 'addBulk');
    const add = vi.spyOn(Queue.prototype, 'add');
    const ids = await h.engine.enqueueWorkflows([
      ...Array.from({ length: 20 }, (_, i) => ({ workflowId: 'pair', initialData: i })),
      ...Array.from({ length: 5 }, (_, i) => ({
        workflowId: 'timed',
        initialData: i,
        options: { priority: 2, delayMs: i * 10 },
      })),
      { workflowId: 'pair', initialData: 'once', options: { idempotencyKey: 'k' } },
      { workflowId: 'pair', initialData: 'twice', options: { idempotencyKey: 'k' } },
    ]);
    expect(add).not.toHaveBeenCalled();
    const calls = addBulk.mock.calls.map(([jobs]) => jobs.length);
    // One call for the 47 node jobs (21 runs of 'pair' × 2, 5 of 'timed'), one for the 5 timers.
    expect(calls.sort((a, b) => a - b)).toEqual([5, 47]);
    vi.restoreAllMocks();

    expect(ids).toHaveLength(27);
    expect(ids[25]).toBe(ids[26]);
    expect(new Set(ids).size).toBe(26);
    await h.engine.startWorkers(5);
    const states = await Promise.all(
      [...new Set(ids)].map((id) => h.engine.waitForExecution(id, { timeoutMs: 10_000 })),
    );
    expect(states.every((s) => s.status === 'completed')).toBe(true);
    expect(['once', 'twice']).toContain(states.find((s) => s.executionId === ids[25])?.initialData);
    expect(states.filter((s) => s.workflowId === 'timed').every((s) => s.priority === 2)).toBe(
      true,
    );
  });

  it('pauses, resumes and cancels several executions at once', async ({ harness }) => {
    const h = await harness();
    h.registry.register('step', noop);
    await h.engine.registerWorkflow(wf('later', [{ id: 'N', type: 'step' }]));
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 6 }, () => ({ workflowId: 'later', options: { delayMs: 60_000 } })),
    );
    await h.engine.pauseWorkflows(ids);
    for (const id of ids) expect((await h.engine.getExecution(id))?.status).toBe('paused');
    await h.engine.resumeWorkflows(ids.slice(0, 3));
    await h.engine.cancelWorkflows(ids.slice(3));
    const statuses = await Promise.all(
      ids.map(async (id) => (await h.engine.getExecution(id))?.status),
    );
    expect(statuses).toEqual([
      'running',
      'running',
      'running',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    await expect(h.engine.pauseWorkflows([ids[0]!, ids[3]!])).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    // The error of one does not stop the others.
    expect((await h.engine.getExecution(ids[0]!))?.status).toBe('paused');
  });
});
