import { QuotaExceededError, WorkflowNotFoundError } from '@spane/core';
import { describe, expect } from 'vitest';
import { resolveEngineOptions } from '../src/engine-options.js';
import { deferred, exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

const slotsKey = (prefix: string, tenant: string) => `${prefix}:quota:${tenant}:active`;

/** A node type whose runs wait until `release`; registers it and a workflow using it. */
async function holdingWorkflow(h: Harness, scope: { tenantId?: string } = {}) {
  const gate = deferred();
  if (!h.registry.has('hold')) {
    h.registry.register(
      'hold',
      exec(async () => {
        await gate.promise;
        return { success: true, data: {} };
      }),
    );
  }
  await h.engine.registerWorkflow(wf('held', [{ id: 'a', type: 'hold' }]), scope);
  return { release: () => gate.resolve() };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<QuotaExceededError> {
  const err = await promise.then(
    () => expect.fail('expected a QuotaExceededError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QuotaExceededError);
  return err as QuotaExceededError;
}

async function executionCount(h: Harness, tenantId = 'default'): Promise<number> {
  return (await h.store.listExecutions({ tenantId, limit: 1000 })).items.length;
}

describe('quota: active executions', () => {
  it('refuses a start past the limit, creating nothing; frees the slot when a run ends or is cancelled', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 2 } });
    const hold = await holdingWorkflow(h);
    await h.engine.startWorkers(4);
    const first = await h.engine.enqueueWorkflow('held');
    const second = await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    const err = await refusal(h.engine.enqueueWorkflow('held'));
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.details).toEqual({ quota: 'activeExecutions', limit: 2, current: 2, requested: 1 });
    expect(await executionCount(h)).toBe(2);
    expect(await h.redis.zcard(slotsKey(h.prefix, 'default'))).toBe(2);

    // Cancelling one frees its slot.
    await h.engine.cancelWorkflow(second);
    const third = await until(
      () => h.engine.enqueueWorkflow('held').catch(() => undefined),
      5_000,
      'a slot freed by the cancellation',
    );
    await refusal(h.engine.enqueueWorkflow('held'));

    // Completing frees the others.
    hold.release();
    for (const id of [first, third]) {
      expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    }
    await until(
      async () => (await h.redis.zcard(slotsKey(h.prefix, 'default'))) === 0,
      5_000,
      'every slot released',
    );
    // No key left behind once nothing runs: the index forgets the tenant.
    expect(await h.redis.exists(`${h.prefix}:quota`)).toBe(0);
    const again = await h.engine.enqueueWorkflow('held');
    expect((await h.engine.waitForExecution(again, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
  });

  it('a paused execution keeps its slot', async ({ harness }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 1 } });
    await holdingWorkflow(h);
    const id = await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    await h.engine.pauseWorkflow(id);
    await refusal(h.engine.enqueueWorkflow('held'));
    await h.engine.cancelWorkflow(id);
    await until(
      () => h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 }).catch(() => undefined),
      5_000,
      'the slot of the cancelled execution',
    );
  });

  it('a start reserves its slot while the workflow is read, and gives it back when the workflow is missing', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 1 } });
    h.registry.register('noop', noop);
    await h.engine.registerWorkflow(wf('quick', [{ id: 'n', type: 'noop' }]));
    await h.engine.startWorkers(2);
    const slots = () => h.redis.zcard(slotsKey(h.prefix, 'default'));

    // The reservation does not wait for the read: the slot is held while the store reads.
    const read = h.store.getWorkflow.bind(h.store);
    const heldDuringRead: number[] = [];
    h.store.getWorkflow = async (...args) => {
      heldDuringRead.push(
        await until(async () => ((await slots()) === 1 ? 1 : undefined), 5_000, 'the slot'),
      );
      return read(...args);
    };
    const first = await h.engine.enqueueWorkflow('quick');
    expect(heldDuringRead).toEqual([1]);
    h.store.getWorkflow = read;
    expect((await h.engine.waitForExecution(first, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
    await until(async () => (await slots()) === 0, 5_000, 'the slot released');

    // A workflow that does not exist: not found, and the slot it reserved is given back.
    await expect(h.engine.enqueueWorkflow('missing')).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await slots()).toBe(0);
    // Not found comes first when the quota is full too.
    const held = await h.engine.enqueueWorkflow('quick', {}, { delayMs: 60_000 });
    await expect(h.engine.enqueueWorkflow('missing')).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await refusal(h.engine.enqueueWorkflow('quick'));
    await h.engine.cancelWorkflow(held);
  });

  it('two engines racing for the last slots: exactly the limit get one', async ({ harness }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 5 } });
    await holdingWorkflow(h);
    const other = h.peer();
    const starts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? h.engine : other).enqueueWorkflow('held', {}, { delayMs: 60_000 }),
      ),
    );
    const won = starts.filter((s) => s.status === 'fulfilled');
    const lost = starts.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(won).toHaveLength(5);
    for (const s of lost) expect(s.reason).toBeInstanceOf(QuotaExceededError);
    expect(await executionCount(h)).toBe(5);
    expect(await h.redis.zcard(slotsKey(h.prefix, 'default'))).toBe(5);
  });

  it('a bulk start that would pass the limit starts none', async ({ harness }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 3 } });
    await holdingWorkflow(h);
    await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    const err = await refusal(
      h.engine.enqueueWorkflows(
        Array.from({ length: 3 }, () => ({ workflowId: 'held', options: { delayMs: 60_000 } })),
      ),
    );
    expect(err.details).toEqual({ quota: 'activeExecutions', limit: 3, current: 1, requested: 3 });
    expect(await executionCount(h)).toBe(1);
    const two = await h.engine.enqueueWorkflows(
      Array.from({ length: 2 }, () => ({ workflowId: 'held', options: { delayMs: 60_000 } })),
    );
    expect(two).toHaveLength(2);
    expect(await executionCount(h)).toBe(3);
  });

  it('an idempotent retry of a created execution is not refused and takes no second slot', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 1 } });
    await holdingWorkflow(h);
    const opts = { delayMs: 60_000, idempotencyKey: 'order-1' };
    const id = await h.engine.enqueueWorkflow('held', {}, opts);
    expect(await h.engine.enqueueWorkflow('held', {}, opts)).toBe(id);
    await refusal(h.engine.enqueueWorkflow('held', {}, { ...opts, idempotencyKey: 'order-2' }));
    expect(await h.redis.zrange(slotsKey(h.prefix, 'default'), 0, -1)).toEqual([id]);
    expect(await executionCount(h)).toBe(1);
  });

  it('per-tenant overrides; another tenant is not affected; false turns a quota off', async ({
    harness,
  }) => {
    const h = await harness({
      quotas: { maxActiveExecutions: 1, tenants: { big: { maxActiveExecutions: false } } },
    });
    await holdingWorkflow(h, { tenantId: 'small' });
    await h.engine.registerWorkflow(wf('held', [{ id: 'a', type: 'hold' }]), { tenantId: 'big' });
    const small = { delayMs: 60_000, tenantId: 'small' };
    await h.engine.enqueueWorkflow('held', {}, small);
    await refusal(h.engine.enqueueWorkflow('held', {}, small));
    for (let i = 0; i < 3; i++) {
      await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000, tenantId: 'big' });
    }
    expect(await executionCount(h, 'big')).toBe(3);
    // No slots are kept for a tenant without the quota.
    expect(await h.redis.exists(slotsKey(h.prefix, 'big'))).toBe(0);
  });

  it('webhook and event starts are refused past the limit; a schedule firing is skipped', async ({
    harness,
  }) => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m: string) => warnings.push(m),
    };
    const h = await harness({ quotas: { maxActiveExecutions: 1 }, logger });
    await holdingWorkflow(h);
    await h.engine.registerWorkflow(
      wf('hooked', [{ id: 'a', type: 'hold' }], {
        triggers: [
          { type: 'webhook', path: 'in' },
          { type: 'event', event: 'go' },
          { type: 'schedule', cron: '* * * * * *' },
        ],
      }),
    );
    await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    await refusal(h.engine.triggerWebhook('in', 'POST', { a: 1 }));
    await refusal(h.engine.emitEvent('go', {}));
    // The schedule fires every second: its firings are skipped, the scheduler goes on.
    await h.engine.startWorkers(2);
    await until(
      () => warnings.filter((w) => w.startsWith('skipped a schedule firing')).length >= 2,
      10_000,
      'two skipped firings',
    );
    expect(await executionCount(h)).toBe(1);
    await h.engine.unregisterWorkflow('hooked');
  });

  it('the reconciler frees a slot whose release was lost, and keeps live ones', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 2 } });
    await holdingWorkflow(h);
    const live = await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    const key = slotsKey(h.prefix, 'default');
    // A slot of an execution that never got created, and the live one: both unchecked for long.
    await h.redis.zadd(key, 1, 'lost-execution', 1, live);
    await refusal(h.engine.enqueueWorkflow('held'));
    const result = await h.engine.reconcile();
    expect(result.quotaSlotsFreed).toBe(1);
    expect(await h.redis.zrange(key, 0, -1)).toEqual([live]);
    expect(Number(await h.redis.zscore(key, live))).toBeGreaterThan(Date.now() - 60_000);
    await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
  });

  it('retrying a dead-lettered node makes its execution active again: it takes a slot', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 1 } });
    let fail = true;
    h.registry.register(
      'flaky',
      exec(async () =>
        fail ? { success: false, error: 'down', retryable: false } : { success: true },
      ),
    );
    await h.engine.registerWorkflow(wf('flaky', [{ id: 'a', type: 'flaky' }]));
    await holdingWorkflow(h);
    await h.engine.startWorkers(2);
    const failed = await h.engine.enqueueWorkflow('flaky');
    expect((await h.engine.waitForExecution(failed, { timeoutMs: 10_000 })).status).toBe('failed');
    const blocker = await until(
      () => h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 }).catch(() => undefined),
      5_000,
      'the failed execution to give its slot back',
    );
    const [item] = await h.engine.getDLQItems();
    await refusal(h.engine.retryDLQItem(item!.id));
    expect((await h.engine.getExecution(failed))?.status).toBe('failed');
    await h.engine.cancelWorkflow(blocker);
    fail = false;
    await until(
      () =>
        h.engine.retryDLQItem(item!.id).then(
          () => true,
          () => false,
        ),
      5_000,
      'the retry to get a slot',
    );
    expect((await h.engine.waitForExecution(failed, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );
  });

  it('replays count as starts; sub-workflow children do not', async ({ harness }) => {
    const h = await harness({ quotas: { maxActiveExecutions: 1 } });
    h.registry.register('noop', noop);
    await h.engine.registerWorkflow(wf('child', [{ id: 'c', type: 'noop' }]));
    await h.engine.registerWorkflow(
      wf('parent', [{ id: 's', type: 'sub-workflow', config: { workflowId: 'child' } }]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('parent');
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    await until(
      async () => (await h.redis.zcard(slotsKey(h.prefix, 'default'))) === 0,
      5_000,
      'the slot released',
    );
    await holdingWorkflow(h);
    await h.engine.enqueueWorkflow('held', {}, { delayMs: 60_000 });
    await refusal(h.engine.replayWorkflow(id));
  });
});

describe('quota: workflows and schedules', () => {
  it('refuses a new workflow past maxWorkflows; re-registering one is allowed', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxWorkflows: 2 } });
    h.registry.register('noop', noop);
    await h.engine.registerWorkflow(wf('a', [{ id: 'n', type: 'noop' }]));
    await h.engine.registerWorkflow(wf('b', [{ id: 'n', type: 'noop' }]));
    const err = await refusal(h.engine.registerWorkflow(wf('c', [{ id: 'n', type: 'noop' }])));
    expect(err.details).toEqual({ quota: 'workflows', limit: 2, current: 2, requested: 1 });
    expect(await h.engine.getWorkflow('c')).toBeNull();
    await h.engine.registerWorkflow(wf('b', [{ id: 'm', type: 'noop' }]));
    // Another tenant has its own count; an unregistered workflow no longer counts.
    await h.engine.registerWorkflow(wf('c', [{ id: 'n', type: 'noop' }]), { tenantId: 'other' });
    await h.engine.unregisterWorkflow('a');
    await h.engine.registerWorkflow(wf('c', [{ id: 'n', type: 'noop' }]));
  });

  it('registrations racing for the last workflows, in two engines: exactly the limit pass', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxWorkflows: 3 } });
    h.registry.register('noop', noop);
    const other = h.peer();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? h.engine : other).registerWorkflow(wf(`w${i}`, [{ id: 'n', type: 'noop' }])),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QuotaExceededError);
    }
    expect(await h.engine.listWorkflows()).toHaveLength(3);
    expect(await h.redis.exists(`${h.prefix}:quota:default:registering`)).toBe(0);
  });

  it('refuses schedule triggers past maxSchedules; a version that adds none is allowed', async ({
    harness,
  }) => {
    const h = await harness({ quotas: { maxSchedules: 2 } });
    h.registry.register('noop', noop);
    const cron = (n: number) =>
      Array.from({ length: n }, () => ({ type: 'schedule' as const, cron: '0 0 1 1 *' }));
    await h.engine.registerWorkflow(wf('a', [{ id: 'n', type: 'noop' }], { triggers: cron(2) }));
    const err = await refusal(
      h.engine.registerWorkflow(wf('b', [{ id: 'n', type: 'noop' }], { triggers: cron(1) })),
    );
    expect(err.details).toEqual({ quota: 'schedules', limit: 2, current: 2, requested: 1 });
    expect(await h.engine.getWorkflow('b')).toBeNull();
    // A new version of `a` with as many schedules (or fewer) is fine.
    await h.engine.registerWorkflow(wf('a', [{ id: 'm', type: 'noop' }], { triggers: cron(2) }));
    await h.engine.registerWorkflow(wf('a', [{ id: 'm', type: 'noop' }], { triggers: cron(1) }));
    await h.engine.registerWorkflow(wf('b', [{ id: 'n', type: 'noop' }], { triggers: cron(1) }));
    await refusal(
      h.engine.registerWorkflow(wf('a', [{ id: 'm', type: 'noop' }], { triggers: cron(2) })),
    );
  });

  it('checks the quotas option', async ({ harness }) => {
    expect(() => resolveEngineOptions({ quotas: { maxWorkflows: -1 } })).toThrow(
      /quotas\.maxWorkflows/,
    );
    expect(() =>
      resolveEngineOptions({ quotas: { tenants: { t: { maxSchedules: 1.5 } } } }),
    ).toThrow(/quotas\.tenants\.t\.maxSchedules/);
    const limits = resolveEngineOptions({
      quotas: { maxWorkflows: Number.POSITIVE_INFINITY, tenants: { t: { maxSchedules: 0 } } },
    }).quotas;
    expect(limits.of('x')).toEqual({
      maxActiveExecutions: 10_000,
      maxWorkflows: Number.POSITIVE_INFINITY,
      maxSchedules: 100,
    });
    expect(limits.of('t').maxSchedules).toBe(0);
    expect(limits.of('t').maxWorkflows).toBe(Number.POSITIVE_INFINITY);
    const h = await harness({ quotas: false });
    h.registry.register('noop', noop);
    await h.engine.registerWorkflow(wf('a', [{ id: 'n', type: 'noop' }]));
  });
});
