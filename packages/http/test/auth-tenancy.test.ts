import { signWebhook } from '@spane/bullmq';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpaneHttpOptions, spaneHttp } from '../src/index.js';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

let h: HttpHarness;
/** Executions of `billing` in tenant A: one completed, one failed (with a DLQ item). */
let doneA = '';
let failedA = '';
let dlqItemA = '';
let doneB = '';

beforeAll(async () => {
  h = await createHttpHarness();
  // Both tenants own a workflow `billing`, with different definitions.
  for (const [key, type] of [
    [KEYS.adminA, 'echo'],
    [KEYS.adminB, 'fail'],
  ] as const) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: bearer(key),
      payload: wf('billing', [{ id: 'charge', type }]),
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: bearer(KEYS.adminA),
    payload: wf('billing-fails', [{ id: 'charge', type: 'fail' }]),
  });
  const run = async (key: string, workflowId: string) => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/workflows/${workflowId}/execute`,
      headers: bearer(key),
    });
    expect(res.statusCode, res.body).toBe(202);
    const id: string = res.json().executionId;
    await h.waitForExecution(id);
    return id;
  };
  doneA = await run(KEYS.adminA, 'billing');
  failedA = await run(KEYS.adminA, 'billing-fails');
  doneB = await run(KEYS.adminB, 'billing');
  const items = await h.engine.getDLQItems(0, -1, { tenantId: 'tenant-a' });
  dlqItemA = items.find((i) => i.executionId === failedA)!.id;
});
afterAll(async () => {
  await h?.close();
});

describe('scopes', () => {
  /** `{run}` stands for a finished execution of tenant A. */
  type Row = [method: 'GET' | 'POST' | 'DELETE', url: string, scope: string];
  const urlOf = (url: string) => url.replace('{run}', doneA);
  const routes: Row[] = [
    ['GET', '/api/workflows', 'read'],
    ['GET', '/api/workflows/billing', 'read'],
    ['GET', '/api/workflows/billing/versions', 'read'],
    ['GET', '/api/executions', 'read'],
    ['GET', '/api/executions/{run}', 'read'],
    ['GET', '/api/executions/{run}/logs', 'read'],
    ['GET', '/api/executions/{run}/trace', 'read'],
    ['GET', '/api/executions/{run}/events', 'read'],
    ['GET', '/api/executions/{run}/explain', 'read'],
    ['GET', '/api/dlq', 'read'],
    ['GET', '/api/stats', 'read'],
    ['GET', '/metrics', 'read'],
    ['POST', '/api/workflows/billing/execute', 'execute'],
    ['POST', '/api/executions/bulk', 'execute'],
    ['POST', '/api/executions/{run}/pause', 'execute'],
    ['POST', '/api/executions/{run}/resume', 'execute'],
    ['POST', '/api/executions/{run}/cancel', 'execute'],
    ['POST', '/api/executions/{run}/replay', 'execute'],
    // An unknown item: the scope check comes first; a known one would be consumed here.
    ['POST', '/api/dlq/no-such-item/retry', 'execute'],
    ['POST', '/api/workflows', 'admin'],
    ['DELETE', '/api/workflows/billing', 'admin'],
  ];
  const keyScopes: [string, string[]][] = [
    [KEYS.readA, ['read']],
    [KEYS.executeA, ['execute']],
  ];

  it.each(routes)('%s %s needs %s', async (method, path, scope) => {
    const url = urlOf(path);
    const noKey = await h.app.inject({ method, url });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.headers['www-authenticate']).toContain('Bearer');
    for (const [key, scopes] of keyScopes) {
      const res = await h.app.inject({ method, url, headers: bearer(key) });
      if (scopes.includes(scope)) expect(res.statusCode, res.body).not.toBe(403);
      else {
        expect(res.statusCode, `${scopes} on ${url}`).toBe(403);
        expect(res.json().error.code).toBe('FORBIDDEN');
      }
    }
  });

  it('lets admin do everything and leaves health and docs open', async () => {
    const res = await h.app.inject({ url: '/api/dlq', headers: bearer(KEYS.adminA) });
    expect(res.statusCode).toBe(200);
    for (const url of ['/health/live', '/health/ready', '/docs/json']) {
      expect((await h.app.inject({ url })).statusCode).toBe(200);
    }
  });
});

describe('tenant isolation', () => {
  const a = bearer(KEYS.adminA);
  const b = bearer(KEYS.adminB);

  it('gives each tenant its own `billing`', async () => {
    const ofA = await h.app.inject({ url: '/api/workflows/billing', headers: a });
    const ofB = await h.app.inject({ url: '/api/workflows/billing', headers: b });
    expect(ofA.json().definition.nodes[0].type).toBe('echo');
    expect(ofB.json().definition.nodes[0].type).toBe('fail');
    expect(ofA.json().tenantId).toBe('tenant-a');
    expect(ofB.json().tenantId).toBe('tenant-b');
    const listB = await h.app.inject({ url: '/api/workflows', headers: b });
    expect(listB.json().items.map((w: { workflowId: string }) => w.workflowId)).toEqual([
      'billing',
    ]);
    const missing = await h.app.inject({ url: '/api/workflows/billing-fails', headers: b });
    expect(missing.statusCode).toBe(404);
  });

  it("runs each tenant's own definition", async () => {
    expect(
      (await h.app.inject({ url: `/api/executions/${doneA}`, headers: a })).json().status,
    ).toBe('completed');
    expect(
      (await h.app.inject({ url: `/api/executions/${doneB}`, headers: b })).json().status,
    ).toBe('failed');
  });

  it.each([
    ['GET', ''],
    ['GET', '/logs'],
    ['GET', '/trace'],
    ['GET', '/events'],
    ['GET', '/explain'],
    ['POST', '/pause'],
    ['POST', '/resume'],
    ['POST', '/cancel'],
    ['POST', '/replay'],
  ] as const)("answers 404 for another tenant's execution: %s %s", async (method, suffix) => {
    const res = await h.app.inject({
      method,
      url: `/api/executions/${doneA}${suffix}`,
      headers: b,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({
      code: 'EXECUTION_NOT_FOUND',
      message: `Execution '${doneA}' not found`,
      details: { executionId: doneA },
    });
  });

  it("keeps listings, the DLQ, stats and metrics to the caller's tenant", async () => {
    const listB = await h.app.inject({ url: '/api/executions', headers: b });
    const idsB = listB.json().items.map((e: { executionId: string }) => e.executionId);
    expect(idsB).toEqual([doneB]);
    const filtered = await h.app.inject({ url: '/api/executions?workflowId=billing', headers: a });
    const itemsA: { executionId: string; tenantId: string }[] = filtered.json().items;
    expect(itemsA.map((e) => e.executionId)).toContain(doneA);
    expect(itemsA.map((e) => e.executionId)).not.toContain(doneB);
    expect(itemsA.every((e) => e.tenantId === 'tenant-a')).toBe(true);

    const dlqB = await h.app.inject({ url: '/api/dlq', headers: b });
    expect(dlqB.json().items.every((i: { tenantId: string }) => i.tenantId === 'tenant-b')).toBe(
      true,
    );
    expect(dlqB.json().items.some((i: { executionId: string }) => i.executionId === failedA)).toBe(
      false,
    );
    const retry = await h.app.inject({
      method: 'POST',
      url: `/api/dlq/${dlqItemA}/retry`,
      headers: b,
    });
    expect(retry.statusCode).toBe(404);
    expect(retry.json().error.code).toBe('DLQ_ITEM_NOT_FOUND');
    const stillThere = await h.engine.getDLQItems(0, -1, { tenantId: 'tenant-a' });
    expect(stillThere.map((i) => i.id)).toEqual([dlqItemA]);

    const statsA = await h.app.inject({ url: '/api/stats', headers: a });
    const statsB = await h.app.inject({ url: '/api/stats', headers: b });
    expect(statsA.json().dlq).toBe(1);
    expect(statsB.json().dlq).toBe(1);

    const metricsB = (await h.app.inject({ url: '/metrics', headers: b })).body;
    expect(metricsB).toContain(
      'spane_executions_failed_total{tenant="tenant-b",workflow_id="billing"} 1',
    );
    expect(metricsB).not.toContain('tenant-a');
    expect(metricsB).not.toContain('billing-fails');
  });

  it('lets a tenant delete only its own workflow', async () => {
    const res = await h.app.inject({
      method: 'DELETE',
      url: '/api/workflows/billing-fails',
      headers: b,
    });
    expect(res.statusCode).toBe(404);
    expect(
      (await h.app.inject({ url: '/api/workflows/billing-fails', headers: a })).statusCode,
    ).toBe(200);
  });

  it('refuses a tenantId smuggled into execute options; the tenant comes only from the key', async () => {
    const smuggled = await h.app.inject({
      method: 'POST',
      url: '/api/workflows/billing/execute',
      headers: a,
      payload: { options: { tenantId: 'tenant-b' } },
    });
    expect(smuggled.statusCode).toBe(400);
    expect(smuggled.json().error.details.issues).toEqual([
      { path: '/body/options/tenantId', message: 'is not a known field' },
    ]);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows/billing/execute',
      headers: a,
      payload: { options: {} },
    });
    expect(res.statusCode).toBe(202);
    const state = await h.waitForExecution(res.json().executionId);
    expect(state.tenantId).toBe('tenant-a');
  });
});

describe('webhooks of two tenants on one path', () => {
  const a = bearer(KEYS.adminA);
  const b = bearer(KEYS.adminB);
  const hooked = (id: string, secret?: string) =>
    wf(id, [{ id: 'n', type: 'echo' }], {
      triggers: [{ type: 'webhook', path: 'pay/in', ...(secret ? { secret } : {}) }],
    });
  const registerAs = async (headers: Record<string, string>, definition: object) => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers,
      payload: definition,
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const deliverTo = (tenant: string, secret: string, deliveryId: string) => {
    const raw = JSON.stringify({ card: `4242-${deliveryId}` });
    return h.app.inject({
      method: 'POST',
      url: `/api/webhooks/${tenant}/pay/in`,
      headers: {
        'content-type': 'application/json',
        'x-spane-delivery': deliveryId,
        'x-spane-signature': signWebhook(secret, raw, { deliveryId }),
      },
      payload: raw,
    });
  };
  const runsOf = async (headers: Record<string, string>, workflowId: string) =>
    (await h.app.inject({ url: `/api/executions?workflowId=${workflowId}`, headers })).json()
      .items as { executionId: string }[];

  it("keep each tenant's deliveries to its own triggers, signed with its own secret", async () => {
    await registerAs(b, hooked('payments', 'secret-of-b'));
    // Tenant A claims the same path, first without a secret (to receive B's deliveries)…
    await registerAs(a, hooked('eavesdrop'));
    const first = await deliverTo('tenant-b', 'secret-of-b', 'b-1');
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json().executionIds).toHaveLength(1);
    const run = await h.waitForExecution(first.json().executionIds[0]);
    expect(run).toMatchObject({ tenantId: 'tenant-b', workflowId: 'payments' });
    expect(await runsOf(a, 'eavesdrop')).toEqual([]);

    // …then with a secret of its own (to make B's correctly signed deliveries fail).
    await registerAs(a, hooked('eavesdrop', 'secret-of-a'));
    const second = await deliverTo('tenant-b', 'secret-of-b', 'b-2');
    expect(second.statusCode, second.body).toBe(202);
    await h.waitForExecution(second.json().executionIds[0]);
    expect(await runsOf(b, 'payments')).toHaveLength(2);
    expect(await runsOf(a, 'eavesdrop')).toEqual([]);

    // A's own route is A's: its secret, its runs; B's secret does not open it.
    const own = await deliverTo('tenant-a', 'secret-of-a', 'b-1');
    expect(own.statusCode, own.body).toBe(202);
    expect((await h.waitForExecution(own.json().executionIds[0])).tenantId).toBe('tenant-a');
    const forged = await deliverTo('tenant-a', 'secret-of-b', 'a-2');
    expect(forged.statusCode).toBe(401);
    const unknownTenant = await deliverTo('tenant-c', 'secret-of-b', 'c-1');
    expect(unknownTenant.statusCode).toBe(404);
    expect(await runsOf(b, 'payments')).toHaveLength(2);
  });
});

describe("auth mode 'disabled'", () => {
  it('is explicit, warns in the log, and puts every call in tenant default', async () => {
    const lines: string[] = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    await app.register(spaneHttp, { engine: h.engine, auth: { mode: 'disabled' } });
    await app.ready();
    try {
      expect(lines.join('')).toContain('authentication is DISABLED');
      const res = await app.inject({
        method: 'POST',
        url: '/api/workflows',
        payload: wf('local', [{ id: 'a', type: 'echo' }]),
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().tenantId).toBe('default');
    } finally {
      await app.close();
    }
  });

  it('refuses to start without an auth setting', async () => {
    const app = Fastify();
    await expect(
      app.register(spaneHttp, { engine: h.engine } as unknown as SpaneHttpOptions).ready(),
    ).rejects.toThrow(/auth must be/);
    await app.close();
  });
});
