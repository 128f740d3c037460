import { createHmac } from 'node:crypto';
import {
  DuplicateDeliveryError,
  type ExecutionState,
  InvalidArgumentError,
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
  it('start every workflow of the tenant on a path and method, and survive a restart', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('echo', echoInput);
    const hook = (id: string, path: string, method?: 'GET' | 'POST') =>
      wf(id, [{ id: 'N', type: 'echo' }], {
        triggers: [{ type: 'webhook', path, ...(method ? { method } : {}) }],
      });
    await h.engine.registerWorkflow(hook('hook-a', '/orders/new/'));
    await h.engine.registerWorkflow(hook('hook-a2', 'orders/new'));
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
      'default/hook-a',
      'default/hook-a2',
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
    const [ofAcme] = await finished(
      h,
      await h.engine.triggerWebhook('orders/new', 'POST', '', {}, { tenantId: 'acme' }),
    );
    expect(ofAcme).toMatchObject({ tenantId: 'acme', workflowId: 'hook-b' });

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
    await expect(
      h.engine.triggerWebhook('orders/new', 'GET', '', {}, { tenantId: 'acme' }),
    ).rejects.toBeInstanceOf(WebhookNotFoundError);

    // Another engine process that registered nothing finds the routes in Redis.
    const restarted = h.peer();
    expect(await restarted.triggerWebhook('orders/new', 'POST', '')).toHaveLength(2);

    // Unregistering and re-registering update the routes.
    await h.engine.unregisterWorkflow('hook-a2');
    expect(await restarted.triggerWebhook('orders/new', 'POST', '')).toHaveLength(1);
    await h.engine.registerWorkflow(hook('hook-a', 'orders/v2'));
    await expect(restarted.triggerWebhook('orders/new', 'POST', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );
    expect(
      await restarted.triggerWebhook('orders/new', 'POST', '', {}, { tenantId: 'acme' }),
    ).toHaveLength(1);
    const moved = await finished(h, await restarted.triggerWebhook('orders/v2', 'POST', ''));
    expect(moved.map((s) => s.workflowId)).toEqual(['hook-a']);

    // Redis loses the route copy (the store keeps the definitions): an engine starting its
    // workers rebuilds the routes of every tenant from the store.
    await h.engine.registerWorkflow(hook('hook-c', 'tenant/only'), { tenantId: 'globex' });
    await h.redis.del(`${h.prefix}:webhooks`);
    const globex = { tenantId: 'globex' };
    await expect(
      restarted.triggerWebhook('tenant/only', 'POST', '', {}, globex),
    ).rejects.toBeInstanceOf(WebhookNotFoundError);
    const rebuilt = h.peer();
    await rebuilt.startWorkers(1);
    const [fromGlobex] = await finished(
      h,
      await rebuilt.triggerWebhook('tenant/only', 'POST', '', {}, globex),
    );
    expect(fromGlobex).toMatchObject({ workflowId: 'hook-c', tenantId: 'globex' });
    await expect(rebuilt.triggerWebhook('tenant/only', 'POST', '')).rejects.toBeInstanceOf(
      WebhookNotFoundError,
    );
    expect(await rebuilt.triggerWebhook('orders/v2', 'POST', '')).toHaveLength(1);
  });

  it("keep a tenant's deliveries from another tenant's trigger on the same path", async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register('echo', echoInput);
    const hook = (id: string, secret?: string) =>
      wf(id, [{ id: 'N', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'pay/in', ...(secret ? { secret } : {}) }],
      });
    const victim = { tenantId: 'victim' };
    const attacker = { tenantId: 'attacker' };
    await h.engine.registerWorkflow(hook('payments', 'victim-secret'), victim);
    await h.engine.registerWorkflow(hook('eavesdrop'), attacker);
    await h.engine.startWorkers(2);
    const raw = '{"card":"4242"}';
    const signed = (secret: string, deliveryId: string) => ({
      'x-spane-delivery': deliveryId,
      'x-spane-signature': signWebhook(secret, raw, { deliveryId }),
    });

    const first = await h.engine.triggerWebhook(
      'pay/in',
      'POST',
      raw,
      signed('victim-secret', 'v-1'),
      victim,
    );
    expect(first).toHaveLength(1);
    expect((await finished(h, first))[0]).toMatchObject({
      tenantId: 'victim',
      workflowId: 'payments',
    });
    // The attacker's trigger (now with a secret of its own) neither receives the victim's
    // deliveries nor makes them fail.
    await h.engine.registerWorkflow(hook('eavesdrop', 'attacker-secret'), attacker);
    const second = await h.engine.triggerWebhook(
      'pay/in',
      'POST',
      raw,
      signed('victim-secret', 'v-2'),
      victim,
    );
    expect((await finished(h, second)).map((s) => s.tenantId)).toEqual(['victim']);
    expect((await h.engine.listExecutions({ workflowId: 'eavesdrop', ...attacker })).items).toEqual(
      [],
    );
    // Its own route answers to its own secret only.
    await expect(
      h.engine.triggerWebhook('pay/in', 'POST', raw, signed('victim-secret', 'a-1'), attacker),
    ).rejects.toBeInstanceOf(InvalidSignatureError);
    const own = await h.engine.triggerWebhook(
      'pay/in',
      'POST',
      raw,
      signed('attacker-secret', 'v-1'),
      attacker,
    );
    expect((await finished(h, own))[0]).toMatchObject({ tenantId: 'attacker' });
    // With no tenant named, the default tenant's routes: none on this path.
    await expect(
      h.engine.triggerWebhook('pay/in', 'POST', raw, signed('victim-secret', 'v-3')),
    ).rejects.toBeInstanceOf(WebhookNotFoundError);
  });

  it('check HMAC signatures over the delivery id and body, and refuse replayed deliveries', async ({
    harness,
  }) => {
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
    let n = 0;
    /** Headers of a delivery with a fresh id (or `deliveryId`), signed over `body`. */
    const sign = (secret: string, body: string, t?: number, deliveryId = `auto-${++n}`) => ({
      'x-spane-delivery': deliveryId,
      'x-spane-signature': signWebhook(secret, body, {
        deliveryId,
        ...(t === undefined ? {} : { timestampSeconds: t }),
      }),
    });

    const [ok] = await finished(
      h,
      await h.engine.triggerWebhook('secure/in', 'POST', raw, sign('s3cret', raw)),
    );
    expect(ok?.initialData).toMatchObject({ body: { amount: 10 } });
    const refused = async (body: unknown, headers: Record<string, string>) =>
      h.engine.triggerWebhook('secure/in', 'POST', body, headers).catch((e: unknown) => e);
    const now = Math.floor(Date.now() / 1000);
    const good = sign('s3cret', raw);
    const v1 = `t=${now},v1=${createHmac('sha256', 's3cret').update(`${now}.${raw}`).digest('hex')}`;
    const cases: [string, unknown][] = [
      ['wrong secret', await refused(raw, sign('wrong', raw))],
      ['no headers', await refused(raw, {})],
      [
        'garbage',
        await refused(raw, { 'x-spane-delivery': 'd-g', 'x-spane-signature': 'garbage' }),
      ],
      // Well outside the 5-minute window: `now` is whole seconds and the calls before
      // this one take time, so a timestamp 301 s ahead could fall inside by the check.
      ['old', await refused(raw, sign('s3cret', raw, now - 330))],
      ['future', await refused(raw, sign('s3cret', raw, now + 330))],
      ['changed body', await refused('{"amount":1000}', sign('s3cret', raw))],
      ['parsed body', await refused({ amount: 10 }, sign('s3cret', raw))],
      // The delivery id is covered: the same signature under another id, or none, fails.
      ['other id', await refused(raw, { ...good, 'x-spane-delivery': 'd-other' })],
      ['no id', await refused(raw, { 'x-spane-signature': good['x-spane-signature'] })],
      ['v1 scheme', await refused(raw, { 'x-spane-delivery': 'd-v1', 'x-spane-signature': v1 })],
    ];
    for (const [name, error] of cases) expect(error, name).toBeInstanceOf(InvalidSignatureError);
    const message = (name: string) => (cases.find((c) => c[0] === name)![1] as Error).message;
    expect(message('no id')).toContain('x-spane-delivery');
    expect(message('v1 scheme')).toContain('v2');
    expect(
      await h.engine.triggerWebhook(
        'secure/in',
        'POST',
        Buffer.from(raw),
        sign('s3cret', raw, now - 200),
      ),
    ).toHaveLength(1);
    expect((await h.engine.listExecutions({ workflowId: 'signed' })).items).toHaveLength(2);

    // A signed delivery sent again within the window starts nothing.
    const delivery = sign('s3cret', raw, undefined, 'd-1');
    expect(await h.engine.triggerWebhook('secure/in', 'POST', raw, delivery)).toHaveLength(1);
    const again = await h.engine
      .triggerWebhook('secure/in', 'POST', raw, delivery)
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DuplicateDeliveryError);
    expect(again).toMatchObject({ deliveryId: 'd-1' });
    expect((await h.engine.listExecutions({ workflowId: 'signed' })).items).toHaveLength(3);
    const ttl = await h.redis.pttl(`${h.prefix}:webhook-delivery:default:POST:secure%2Fin:d-1`);
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    // Delivery ids count per tenant and route, with or without a secret.
    const [first] = await h.engine.triggerWebhook('open', 'POST', '', {
      'x-spane-delivery': 'd-1',
    });
    await expect(
      h.engine.triggerWebhook('open', 'POST', '', { 'x-spane-delivery': 'd-1' }),
    ).rejects.toBeInstanceOf(DuplicateDeliveryError);
    expect((await h.engine.getExecution(first!))?.metadata).toEqual({
      trigger: { type: 'webhook', method: 'POST', path: 'open', deliveryId: 'd-1' },
    });
    await h.engine.registerWorkflow(
      wf('open', [{ id: 'N', type: 'echo' }], { triggers: [{ type: 'webhook', path: 'open' }] }),
      { tenantId: 'acme' },
    );
    expect(
      await h.engine.triggerWebhook(
        'open',
        'POST',
        '',
        { 'x-spane-delivery': 'd-1' },
        { tenantId: 'acme' },
      ),
    ).toHaveLength(1);
    // A delivery id that the scheme cannot sign unambiguously is refused.
    for (const id of ['has.dot', 'x'.repeat(129), 'sp ace']) {
      await expect(
        h.engine.triggerWebhook('open', 'POST', '', { 'x-spane-delivery': id }),
        id,
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});
