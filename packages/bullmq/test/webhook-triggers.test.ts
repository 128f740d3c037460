import {
  DuplicateDeliveryError,
  type ExecutionState,
  InvalidSignatureError,
  WebhookNotFoundError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { signWebhook } from '../src/index.js';
import { type Harness, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoInput } from './support/stock-executors.js';

/** The final states of executions that webhooks started, each waited for in its own tenant. */
async function finished(h: Harness, ids: string[]): Promise<ExecutionState[]> {
  return Promise.all(
    ids.map(async (id) => {
      const tenantId = (await h.store.getExecutionSummary(id))?.tenantId;
      return h.engine.waitForExecution(id, { timeoutMs: 5_000 }, { tenantId });
    }),
  );
}

describe('webhook triggers', () => {
  it('start every workflow on a path and method, across tenants, and survive a restart', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('echo', echoInput);
    const hook = (id: string, path: string, method?: 'GET' | 'POST') =>
      wf(id, [{ id: 'N', type: 'echo' }], {
        triggers: [{ type: 'webhook', path, ...(method ? { method } : {}) }],
      });
    await h.engine.registerWorkflow(hook('hook-a', '/orders/new/'));
    await h.engine.registerWorkflow(hook('hook-b', 'orders/new'), { tenantId: 'acme' });
    await h.engine.registerWorkflow(hook('hook-get', 'orders/new', 'GET'));
    await h.engine.startWorkers(2);

    const ids = await h.engine.triggerWebhook(
      'orders/new?x=1&x=2&y=z',
      'post',
      Buffer.from('{"n":1}'),
      { 'Content-Type': 'application/json', 'X-Custom': 'v', 'X-Nothing': undefined },
    );
    expect(ids).toHaveLength(2);
    const states = await finished(h, ids);
    expect(states.map((s) => `${s.tenantId}/${s.workflowId}`).sort()).toEqual([
      'acme/hook-b',
      'default/hook-a',
    ]);
    for (const s of states) {
      expect(s.status).toBe('completed');
      expect(s.initialData).toEqual({
        body: { n: 1 },
        headers: { 'content-type': 'application/json', 'x-custom': 'v' },
        query: { x: ['1', '2'], y: 'z' },
      });
      expect(s.metadata).toEqual({
        trigger: { type: 'webhook', method: 'POST', path: 'orders/new' },
      });
    }

    const [text] = await finished(
      h,
      await h.engine.triggerWebhook('/orders/new', 'GET', 'plain text'),
    );
    expect(text).toMatchObject({
      workflowId: 'hook-get',
      initialData: { body: 'plain text', headers: {} },
    });
    const parsed = await finished(
      h,
      await h.engine.triggerWebhook('orders/new', 'POST', { ok: true }),
    );
    expect(parsed.map((s) => s.initialData)).toEqual([
      { body: { ok: true }, headers: {} },
      { body: { ok: true }, headers: {} },
    ]);
    const [broken] = await finished(
      h,
      await h.engine.triggerWebhook('orders/new', 'GET', '{not json', {}),
    );
    expect((broken!.initialData as { body: unknown }).body).toBe('{not json');

    await expect(h.engine.triggerWebhook('orders/new', 'PUT', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );
    await expect(h.engine.triggerWebhook('orders', 'POST', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );

    // Another engine process that registered nothing finds the routes in Redis.
    const restarted = h.peer();
    expect(await restarted.triggerWebhook('orders/new', 'POST', '')).toHaveLength(2);

    // Unregistering and re-registering update the routes.
    await h.engine.unregisterWorkflow('hook-b', { tenantId: 'acme' });
    expect(await restarted.triggerWebhook('orders/new', 'POST', '')).toHaveLength(1);
    await h.engine.registerWorkflow(hook('hook-a', 'orders/v2'));
    await expect(restarted.triggerWebhook('orders/new', 'POST', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );
    const moved = await finished(h, await restarted.triggerWebhook('orders/v2', 'POST', ''));
    expect(moved.map((s) => s.workflowId)).toEqual(['hook-a']);

    // Redis loses the route copy (the store keeps the definitions): an engine starting its
    // workers rebuilds the routes of every tenant from the store.
    await h.engine.registerWorkflow(hook('hook-c', 'tenant/only'), { tenantId: 'globex' });
    await h.redis.del(`${h.prefix}:webhooks`);
    await expect(restarted.triggerWebhook('tenant/only', 'POST', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );
    const rebuilt = h.peer();
    await rebuilt.startWorkers(1);
    const [fromGlobex] = await finished(h, await rebuilt.triggerWebhook('tenant/only', 'POST', ''));
    expect(fromGlobex).toMatchObject({ workflowId: 'hook-c', tenantId: 'globex' });
    expect(await rebuilt.triggerWebhook('orders/v2', 'POST', '')).toHaveLength(1);
  });

  it('check HMAC signatures and refuse replayed deliveries', async ({ harness }) => {
    const h = await harness();
    h.registry.register('echo', echoInput);
    await h.engine.registerWorkflow(
      wf('signed', [{ id: 'N', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'secure/in', secret: 's3cret' }],
      }),
    );
    await h.engine.registerWorkflow(
      wf('open', [{ id: 'N', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'open' }],
      }),
    );
    await h.engine.startWorkers(2);
    const raw = '{"amount":10}';
    const sign = (secret: string, body: string, t?: number) => ({
      'x-spane-signature': signWebhook(secret, body, t),
    });

    const [ok] = await finished(
      h,
      await h.engine.triggerWebhook('secure/in', 'POST', raw, sign('s3cret', raw)),
    );
    expect(ok?.initialData).toMatchObject({ body: { amount: 10 } });
    const refused = async (body: unknown, headers: Record<string, string>) =>
      h.engine.triggerWebhook('secure/in', 'POST', body, headers).catch((e: unknown) => e);
    const now = Math.floor(Date.now() / 1000);
    for (const error of [
      await refused(raw, sign('wrong', raw)),
      await refused(raw, {}),
      await refused(raw, { 'x-spane-signature': 'garbage' }),
      // Well outside the 5-minute window: `now` is whole seconds and the calls before
      // this one take time, so a timestamp 301 s ahead could fall inside by the check.
      await refused(raw, sign('s3cret', raw, now - 330)),
      await refused(raw, sign('s3cret', raw, now + 330)),
      await refused('{"amount":1000}', sign('s3cret', raw)),
      await refused({ amount: 10 }, sign('s3cret', raw)),
    ]) {
      expect(error).toBeInstanceOf(InvalidSignatureError);
    }
    expect(
      await h.engine.triggerWebhook(
        'secure/in',
        'POST',
        Buffer.from(raw),
        sign('s3cret', raw, now - 200),
      ),
    ).toHaveLength(1);
    expect((await h.engine.listExecutions({ workflowId: 'signed' })).items).toHaveLength(2);

    const delivery = { ...sign('s3cret', raw), 'x-spane-delivery': 'd-1' };
    expect(await h.engine.triggerWebhook('secure/in', 'POST', raw, delivery)).toHaveLength(1);
    const again = await h.engine
      .triggerWebhook('secure/in', 'POST', raw, delivery)
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DuplicateDeliveryError);
    expect(again).toMatchObject({ deliveryId: 'd-1' });
    expect((await h.engine.listExecutions({ workflowId: 'signed' })).items).toHaveLength(3);
    // Delivery ids count per route, with or without a secret.
    const [first] = await h.engine.triggerWebhook('open', 'POST', '', {
      'x-spane-delivery': 'd-1',
    });
    await expect(
      h.engine.triggerWebhook('open', 'POST', '', { 'x-spane-delivery': 'd-1' }),
    ).rejects.toBeInstanceOf(DuplicateDeliveryError);
    expect((await h.engine.getExecution(first!))?.metadata).toEqual({
      trigger: { type: 'webhook', method: 'POST', path: 'open', deliveryId: 'd-1' },
    });
  });
});
