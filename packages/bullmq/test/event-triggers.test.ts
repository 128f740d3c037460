import { InvalidArgumentError } from '@spane/core';
import { describe, expect } from 'vitest';
import { wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput } from './support/stock-executors.js';

describe('event triggers', () => {
  it('start every workflow of the tenant that listens to the event', async ({ harness }) => {
    const h = await harness();
    h.registry.register('echo', echoInput);
    const listener = (id: string, event: string) =>
      wf(id, [{ id: 'N', type: 'echo' }], { triggers: [{ type: 'event', event }] });
    await h.engine.registerWorkflow(listener('billing', 'order.paid'));
    await h.engine.registerWorkflow(listener('shipping', 'order.paid'));
    await h.engine.registerWorkflow(listener('unrelated', 'order.cancelled'));
    await h.engine.registerWorkflow(listener('elsewhere', 'order.paid'), { tenantId: 'acme' });
    await h.engine.registerWorkflow(listener('gone', 'order.paid'));
    await h.engine.unregisterWorkflow('gone');
    await h.engine.startWorkers(2);

    const ids = await h.engine.emitEvent('order.paid', { orderId: 5 });
    const states = await Promise.all(
      ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 5_000 })),
    );
    expect(states.map((s) => s.workflowId).sort()).toEqual(['billing', 'shipping']);
    for (const s of states) {
      expect(s.status).toBe('completed');
      expect(s.initialData).toEqual({ orderId: 5 });
      expect(s.nodeResults.N?.data).toEqual({ orderId: 5 });
      expect(s.metadata).toEqual({ trigger: { type: 'event', event: 'order.paid' } });
    }
    const acme = await h.engine.emitEvent('order.paid', null, { tenantId: 'acme' });
    expect(acme).toHaveLength(1);
    const acmeRun = await h.engine.waitForExecution(
      acme[0]!,
      { timeoutMs: 5_000 },
      { tenantId: 'acme' },
    );
    expect(acmeRun.tenantId).toBe('acme');
    expect(await h.engine.emitEvent('nobody.listens', {})).toEqual([]);
    await expect(h.engine.emitEvent('', {})).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
