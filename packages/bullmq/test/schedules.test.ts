import { WorkflowValidationError } from '@spane/core';
import { Queue } from 'bullmq';
import { afterEach, describe, expect } from 'vitest';
import { type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput, noop } from './support/stock-executors.js';

let control: Queue | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
});

function controlQueue(harness: Harness): Queue {
  control = new Queue('control', { connection: harness.redis, prefix: harness.prefix });
  return control;
}

describe('cron schedules', () => {
  it('fire once per slot however many engines run, and stop when unregistered', async ({
    harness,
  }) => {
    const h = await harness();
    const engine2 = h.peer();
    h.registry.register('tick', echoInput);
    const ticker = wf('ticker', [{ id: 'T', type: 'tick' }], {
      triggers: [{ type: 'schedule', cron: '* * * * * *', initialData: { tick: true } }],
    });
    // Both processes register it (as every process of an app does at start).
    await h.engine.registerWorkflow(ticker);
    await engine2.registerWorkflow(ticker);
    const queue = controlQueue(h);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    await h.engine.startWorkers(2);
    await engine2.startWorkers(2);

    const done = async () =>
      (await h.engine.listExecutions({ workflowId: 'ticker', status: 'completed' })).items;
    await until(async () => (await done()).length >= 2, 10_000, 'two firings');
    await h.engine.unregisterWorkflow('ticker');
    expect(await queue.getJobSchedulersCount()).toBe(0);
    const left = await queue.getJobs(['delayed', 'waiting', 'prioritized']);
    expect(left.filter((j) => j.name === 'schedule')).toEqual([]);

    await until(
      async () =>
        (await h.engine.listExecutions({ workflowId: 'ticker', status: ['pending', 'running'] }))
          .items.length === 0,
      5_000,
      'the last firing to finish',
    );
    const runs = await Promise.all(
      (await h.engine.listExecutions({ workflowId: 'ticker' })).items.map(
        async (s) => (await h.engine.getExecution(s.executionId))!,
      ),
    );
    const slots = runs.map((r) => (r.metadata.trigger as { at: string }).at);
    expect(new Set(slots).size).toBe(runs.length);
    for (const slot of slots) expect(Date.parse(slot) % 1000).toBe(0);
    for (const r of runs) {
      expect(r.initialData).toEqual({ tick: true });
      expect(r.metadata.trigger).toMatchObject({ type: 'schedule' });
    }
  });

  it('are replaced when a workflow is registered again, and invalid ones are refused', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('tick', noop);
    const queue = controlQueue(h);
    const withCron = (cron: string, timezone?: string) =>
      wf('reporting', [{ id: 'T', type: 'tick' }], {
        triggers: [{ type: 'schedule', cron, ...(timezone ? { timezone } : {}) }],
      });
    await h.engine.registerWorkflow(withCron('0 0 1 1 *'));
    await h.engine.registerWorkflow(withCron('0 12 * * MON-FRI', 'Europe/Paris'));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ pattern: '0 12 * * MON-FRI', tz: 'Europe/Paris' });
    const next = new Date(schedulers[0]!.next!);
    expect(next.getTime()).toBeGreaterThan(Date.now());

    await h.engine.registerWorkflow(wf('reporting', [{ id: 'T', type: 'tick' }]));
    expect(await queue.getJobSchedulersCount()).toBe(0);

    for (const [cron, timezone, path, code] of [
      ['61 * * * *', undefined, '/triggers/0/cron', 'INVALID_CRON'],
      ['0 0 30 2 *', undefined, '/triggers/0/cron', 'INVALID_CRON'],
      ['not a cron at all', undefined, '/triggers/0/cron', 'INVALID_CRON'],
      ['0 * * * *', 'Mars/Olympus_Mons', '/triggers/0/timezone', 'INVALID_TIMEZONE'],
    ] as const) {
      const error = await h.engine
        .registerWorkflow(withCron(cron, timezone))
        .catch((e: unknown) => e);
      expect(error, cron).toBeInstanceOf(WorkflowValidationError);
      expect((error as WorkflowValidationError).issues[0]).toMatchObject({ path, code });
    }
    expect(await queue.getJobSchedulersCount()).toBe(0);
  });
});
