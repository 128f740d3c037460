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

describe('cron schedules of tenants whose ids contain a dot', () => {
  const everySecond = (id: string) =>
    wf(id, [{ id: 'T', type: 'tick' }], {
      triggers: [{ type: 'schedule', cron: '* * * * * *', initialData: { of: id } }],
    });
  const runs = async (h: Harness, tenantId: string, workflowId: string) =>
    (await h.engine.listExecutions({ tenantId, workflowId, status: 'completed' })).items;

  it('each fire their own workflow in their own tenant; deleting one leaves the other', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('tick', echoInput);
    const queue = controlQueue(h);
    // Joined with dots, acme + prod.billing and acme.prod + billing read the same.
    await h.engine.registerWorkflow(everySecond('prod.billing'), { tenantId: 'acme' });
    await h.engine.registerWorkflow(everySecond('billing'), { tenantId: 'acme.prod' });
    const ids = (await queue.getJobSchedulers()).map((s) => s.key).sort();
    expect(ids).toEqual([
      'spane.schedule.acme%2Eprod.billing.0',
      'spane.schedule.acme.prod%2Ebilling.0',
    ]);
    await h.engine.startWorkers(2);

    await until(
      async () =>
        (await runs(h, 'acme', 'prod.billing')).length >= 1 &&
        (await runs(h, 'acme.prod', 'billing')).length >= 1,
      10_000,
      'a firing of each',
    );
    for (const [tenantId, workflowId] of [
      ['acme', 'prod.billing'],
      ['acme.prod', 'billing'],
    ] as const) {
      const [run] = await runs(h, tenantId, workflowId);
      const state = await h.engine.getExecution(run!.executionId, { tenantId });
      expect(state).toMatchObject({ tenantId, workflowId, initialData: { of: workflowId } });
    }

    await h.engine.unregisterWorkflow('billing', { tenantId: 'acme.prod' });
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([
      'spane.schedule.acme.prod%2Ebilling.0',
    ]);
    const before = (await runs(h, 'acme', 'prod.billing')).length;
    await until(
      async () => (await runs(h, 'acme', 'prod.billing')).length > before,
      10_000,
      'the other schedule to fire on',
    );
    // And the other way round.
    await h.engine.registerWorkflow(everySecond('billing'), { tenantId: 'acme.prod' });
    await h.engine.unregisterWorkflow('prod.billing', { tenantId: 'acme' });
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([
      'spane.schedule.acme%2Eprod.billing.0',
    ]);
  });

  it('replace a scheduler named the old way: one run per slot meanwhile, removed when workers start', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('tick', noop);
    const queue = controlQueue(h);
    await h.engine.registerWorkflow(everySecond('prod.billing'), { tenantId: 'acme' });
    await h.engine.startWorkers(2);
    // What an engine before the escaping wrote for acme / prod.billing (and acme.prod / billing).
    const legacyId = 'spane.schedule.acme.prod.billing.0';
    const addLegacy = () =>
      queue.upsertJobScheduler(
        legacyId,
        { pattern: '* * * * * *' },
        {
          name: 'schedule',
          data: { workflowId: 'prod.billing', tenantId: 'acme', schedulerId: legacyId },
          opts: { removeOnComplete: true, removeOnFail: 100 },
        },
      );
    await addLegacy();
    await until(
      async () => ((await queue.getJobScheduler(legacyId))?.iterationCount ?? 0) >= 4,
      10_000,
      'the legacy scheduler to fire a few times',
    );
    await queue.removeJobScheduler(legacyId);
    await h.engine.unregisterWorkflow('prod.billing', { tenantId: 'acme' });
    await until(
      async () => {
        const counts = await queue.getJobCounts('active', 'wait', 'prioritized');
        const busy = await h.engine.listExecutions({
          tenantId: 'acme',
          status: ['pending', 'running'],
        });
        const queued = Object.values(counts).reduce((a, b) => a + b, 0);
        return queued === 0 && busy.items.length === 0;
      },
      5_000,
      'the last firings to finish',
    );
    const all = (await h.engine.listExecutions({ tenantId: 'acme', workflowId: 'prod.billing' }))
      .items;
    expect(all.length).toBeGreaterThanOrEqual(2);
    const slots = await Promise.all(
      all.map(async (s) => {
        const state = await h.engine.getExecution(s.executionId, { tenantId: 'acme' });
        return (state!.metadata.trigger as { at: string }).at;
      }),
    );
    // Both schedulers fired each slot; the slot's idempotency key made one run of each.
    expect(new Set(slots).size).toBe(slots.length);

    // A legacy scheduler still there when workers start is removed; the current one stays.
    await h.engine.registerWorkflow(everySecond('prod.billing'), { tenantId: 'acme' });
    await addLegacy();
    await h.peer().startWorkers(1);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([
      'spane.schedule.acme.prod%2Ebilling.0',
    ]);
  });
});
