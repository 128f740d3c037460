import { signWebhook } from '@spane/bullmq';
import type { ExecutionState } from '@spane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  until,
  wf,
} from './support/http-harness.js';

let h: HttpHarness;
const admin = bearer(KEYS.adminA);

beforeAll(async () => {
  h = await createHttpHarness();
});
afterAll(async () => {
  await h?.close();
});

async function register(definition: Record<string, unknown>) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: definition,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function execute(workflowId: string, body?: unknown): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/workflows/${workflowId}/execute`,
    headers: admin,
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().executionId;
}

/** Resolves with the execution id when a node of the workflow starts (listen before executing). */
function nodeStarted(workflowId: string, nodeId: string): Promise<string> {
  return new Promise((resolve) => {
    const off = h.engine.on('node:started', (p) => {
      if (p.workflowId === workflowId && p.nodeId === nodeId) {
        off();
        resolve(p.executionId);
      }
    });
  });
}

describe('workflows', () => {
  it('registers (201 + Location), lists, reads, reads versions and deletes', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: admin,
      payload: wf('crud', [{ id: 'a', type: 'echo' }]),
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/api/workflows/crud');
    const v1 = res.json();
    expect(v1).toMatchObject({ tenantId: 'tenant-a', workflowId: 'crud' });
    expect(v1.definition.nodes).toEqual([{ id: 'a', type: 'echo' }]);

    const v2 = await register(wf('crud', [{ id: 'a', type: 'echo', name: 'changed' }]));
    expect(v2.version).not.toBe(v1.version);

    const list = await h.app.inject({ url: '/api/workflows', headers: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((w: { workflowId: string }) => w.workflowId)).toContain('crud');

    const current = await h.app.inject({ url: '/api/workflows/crud', headers: admin });
    expect(current.json().version).toBe(v2.version);
    const old = await h.app.inject({
      url: `/api/workflows/crud?version=${v1.version}`,
      headers: admin,
    });
    expect(old.json().version).toBe(v1.version);

    const versions = await h.app.inject({ url: '/api/workflows/crud/versions', headers: admin });
    expect(versions.json().items.map((w: { version: string }) => w.version)).toEqual([
      v1.version,
      v2.version,
    ]);

    const del = await h.app.inject({
      method: 'DELETE',
      url: '/api/workflows/crud',
      headers: admin,
    });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const gone = await h.app.inject({ url: '/api/workflows/crud', headers: admin });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('WORKFLOW_NOT_FOUND');
    const again = await h.app.inject({
      method: 'DELETE',
      url: '/api/workflows/crud',
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
  });
});

describe('executions', () => {
  it("shows a running map node's item counts in GET /api/executions/:id", async () => {
    await register(
      wf('map-progress', [
        {
          id: 'M',
          type: 'map',
          config: { items: 'input.list', nodeType: 'wait', concurrency: 2 },
        },
      ]),
    );
    const id = await execute('map-progress', { initialData: { list: [1, 2, 3, 4, 5] } });
    const items = await until(async () => {
      const res = await h.app.inject({
        method: 'GET',
        url: `/api/executions/${id}`,
        headers: admin,
      });
      expect(res.statusCode).toBe(200);
      const state = res.json() as ExecutionState;
      return state.nodeResults.M?.items?.running === 2 ? state.nodeResults.M.items : undefined;
    });
    expect(items).toEqual({ total: 5, done: 0, failed: 0, running: 2 });
    const cancel = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${id}/cancel`,
      headers: admin,
    });
    expect(cancel.statusCode, cancel.body).toBeLessThan(300);
  });

  it('executes with and without a body and reads state, logs and trace', async () => {
    await register(
      wf('run', [
        { id: 'a', type: 'echo' },
        { id: 'b', type: 'echo', inputs: ['a'] },
      ]),
    );
    const bare = await execute('run');
    const withData = await execute('run', {
      initialData: { n: 1 },
      options: { priority: 3, idempotencyKey: 'run-1' },
    });
    expect(
      await execute('run', { initialData: { n: 2 }, options: { idempotencyKey: 'run-1' } }),
    ).toBe(withData);
    await h.waitForExecution(bare, { timeoutMs: 10_000 });
    await h.waitForExecution(withData, { timeoutMs: 10_000 });

    const state = await h.app.inject({ url: `/api/executions/${withData}`, headers: admin });
    expect(state.statusCode).toBe(200);
    const s = state.json() as ExecutionState;
    expect(s).toMatchObject({ status: 'completed', tenantId: 'tenant-a', priority: 3 });
    expect(s.nodeResults.b).toMatchObject({ status: 'completed', data: { n: 1 } });

    const logs = await h.app.inject({ url: `/api/executions/${withData}/logs`, headers: admin });
    expect(logs.statusCode).toBe(200);
    expect(logs.json().items.length).toBeGreaterThan(0);
    const trace = await h.app.inject({ url: `/api/executions/${withData}/trace`, headers: admin });
    expect(trace.statusCode).toBe(200);
    expect(
      trace
        .json()
        .items.map((sp: { nodeId: string }) => sp.nodeId)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('starts executions in bulk, in request order, and checks every workflow first', async () => {
    await register(wf('bulk', [{ id: 'a', type: 'echo' }]));
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/executions/bulk',
      headers: admin,
      payload: [
        { workflowId: 'bulk', initialData: { i: 0 } },
        { workflowId: 'bulk', initialData: { i: 1 }, options: { priority: 1 } },
      ],
    });
    expect(res.statusCode).toBe(202);
    const ids: string[] = res.json().executionIds;
    expect(ids).toHaveLength(2);
    const states = await Promise.all(ids.map((id) => h.waitForExecution(id)));
    expect(states.map((st) => st.initialData)).toEqual([{ i: 0 }, { i: 1 }]);

    const before = (await h.engine.listExecutions({ tenantId: 'tenant-a', limit: 1000 })).items
      .length;
    const missing = await h.app.inject({
      method: 'POST',
      url: '/api/executions/bulk',
      headers: admin,
      payload: [{ workflowId: 'bulk' }, { workflowId: 'no-such-workflow' }],
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('WORKFLOW_NOT_FOUND');
    const after = (await h.engine.listExecutions({ tenantId: 'tenant-a', limit: 1000 })).items
      .length;
    expect(after).toBe(before);
  });

  it('lists executions filtered by workflow and status, a page at a time', async () => {
    await register(wf('paged', [{ id: 'a', type: 'echo' }]));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await execute('paged', { initialData: { i } }));
    await Promise.all(ids.map((id) => h.waitForExecution(id)));

    const first = await h.app.inject({
      url: '/api/executions?workflowId=paged&status=completed&limit=2',
      headers: admin,
    });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items).toHaveLength(2);
    expect(page1.items[0]).not.toHaveProperty('nodeResults');
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await h.app.inject({
      url: `/api/executions?workflowId=paged&limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`,
      headers: admin,
    });
    const page2 = second.json();
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeUndefined();
    const seen = [...page1.items, ...page2.items].map(
      (e: { executionId: string }) => e.executionId,
    );
    expect(seen.sort()).toEqual([...ids].sort());

    const none = await h.app.inject({
      url: '/api/executions?workflowId=paged&status=running&status=paused',
      headers: admin,
    });
    expect(none.json().items).toEqual([]);
  });

  it('lists executions created in a time range (createdAfter inclusive, createdBefore exclusive), a page at a time', async () => {
    await register(wf('ranged', [{ id: 'a', type: 'echo' }]));
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await execute('ranged', { initialData: { i } }));
    await Promise.all(ids.map((id) => h.waitForExecution(id)));
    const list = async (query: string) => {
      const res = await h.app.inject({ url: `/api/executions?${query}`, headers: admin });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: ExecutionState[]; nextCursor?: string };
    };
    // Newest first; from the API itself, so that bounds are the stored timestamps.
    const all = (await list('workflowId=ranged')).items;
    expect(all.map((e) => e.executionId)).toEqual([...ids].reverse());
    const [, second, third] = ids.map((id) => all.find((e) => e.executionId === id)!);
    const inRange = (after: string, before: string) =>
      all.filter((e) => e.createdAt >= after && e.createdAt < before).map((e) => e.executionId);
    const after = encodeURIComponent(second!.createdAt);
    const before = encodeURIComponent(third!.createdAt);

    const from = await list(`workflowId=ranged&createdAfter=${after}`);
    expect(from.items.map((e) => e.executionId)).toContain(second!.executionId);
    expect(from.items.map((e) => e.executionId)).toEqual(inRange(second!.createdAt, '9999'));
    const until = await list(`workflowId=ranged&status=completed&createdBefore=${before}`);
    expect(until.items.map((e) => e.executionId)).not.toContain(third!.executionId);
    expect(until.items.map((e) => e.executionId)).toEqual(inRange('0', third!.createdAt));

    // A page of one at a time across the range keeps the range on every page.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(
        `workflowId=ranged&createdAfter=${after}&createdBefore=9999-01-01T00:00:00Z&limit=1${
          cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`
        }`,
      );
      seen.push(...page.items.map((e) => e.executionId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual(inRange(second!.createdAt, '9999'));
    expect(
      (
        await list(
          'workflowId=ranged&createdAfter=2000-01-01T00:00:00%2B02:00&createdBefore=2000-01-02T00:00:00Z',
        )
      ).items,
    ).toEqual([]);
  });

  it('pauses, resumes and cancels; an invalid transition is 409', async () => {
    await register(
      wf('lifecycle', [
        { id: 'slow', type: 'wait', config: { ms: 300 } },
        { id: 'after', type: 'echo', inputs: ['slow'] },
      ]),
    );
    const id = await execute('lifecycle');
    const pause = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${id}/pause`,
      headers: admin,
    });
    expect(pause.statusCode, pause.body).toBe(200);
    expect(pause.json()).toEqual({ executionId: id, status: 'paused' });
    const resume = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${id}/resume`,
      headers: admin,
    });
    expect(resume.json()).toEqual({ executionId: id, status: 'running' });
    expect((await h.waitForExecution(id)).status).toBe('completed');

    const conflict = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${id}/cancel`,
      headers: admin,
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: { from: 'completed', to: 'cancelled' },
    });

    const long = await execute('lifecycle', { initialData: {} });
    await h.app.inject({ method: 'POST', url: `/api/executions/${long}/pause`, headers: admin });
    const cancel = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${long}/cancel`,
      headers: admin,
    });
    expect(cancel.json()).toEqual({ executionId: long, status: 'cancelled' });
  });

  it('replays an execution, linking the new run to the old', async () => {
    await register(wf('replay', [{ id: 'a', type: 'echo' }]));
    const id = await execute('replay', { initialData: { r: 1 } });
    await h.waitForExecution(id);
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/executions/${id}/replay`,
      headers: admin,
    });
    expect(res.statusCode, res.body).toBe(202);
    const replayed = await h.waitForExecution(res.json().executionId);
    expect(replayed.metadata.replayedFrom).toBe(id);
    expect(replayed.initialData).toEqual({ r: 1 });
  });
});

describe('dead letter queue and stats', () => {
  it('lists dead-letter items and retries one; stats count the tenant’s items', async () => {
    await register(wf('doomed', [{ id: 'x', type: 'fail' }]));
    const id = await execute('doomed', { initialData: { why: 'test' } });
    expect((await h.waitForExecution(id)).status).toBe('failed');

    const list = await h.app.inject({ url: '/api/dlq?limit=10', headers: admin });
    expect(list.statusCode).toBe(200);
    const item = list.json().items.find((i: { executionId: string }) => i.executionId === id);
    expect(item).toMatchObject({ nodeId: 'x', workflowId: 'doomed', error: 'boom' });

    const stats = await h.app.inject({ url: '/api/stats', headers: admin });
    expect(stats.statusCode).toBe(200);
    expect(stats.json().dlq).toBeGreaterThanOrEqual(1);
    expect(stats.json().queue).toEqual(
      expect.objectContaining({ waiting: expect.any(Number), active: expect.any(Number) }),
    );
    // Counts only: hosts and pids are the operator's, not a tenant's.
    expect(stats.json().workers).toEqual({ live: 1, stuck: 0 });
    expect(stats.json().queue).not.toHaveProperty('workers');

    const failedAgain = new Promise<void>((resolve) => {
      const off = h.engine.on('workflow:failed', (p) => {
        if (p.executionId === id) {
          off();
          resolve();
        }
      });
    });
    const retry = await h.app.inject({
      method: 'POST',
      url: `/api/dlq/${item.id}/retry`,
      headers: admin,
    });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.json()).toEqual({ id: item.id, executionId: id });
    await failedAgain;
    const missing = await h.app.inject({
      method: 'POST',
      url: `/api/dlq/${item.id}/retry`,
      headers: admin,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DLQ_ITEM_NOT_FOUND');
  });
});

describe('webhooks', () => {
  it('starts the workflow of a signed delivery with the raw body, refuses bad signatures and repeats', async () => {
    const secret = 'whsec-test-secret';
    await register(
      wf('hooked', [{ id: 'a', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'github/push', method: 'POST', secret }],
      }),
    );
    const raw = '{"ref":"refs/heads/main",  "spaces": "kept as sent"}';
    const deliver = (body: string, signature: string, delivery?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/webhooks/tenant-a/github/push?source=test',
        headers: {
          'content-type': 'application/json',
          'x-spane-signature': signature,
          ...(delivery === undefined ? {} : { 'x-spane-delivery': delivery }),
        },
        payload: body,
      });
    const sign = (body: string, deliveryId: string, timestampSeconds?: number) =>
      signWebhook(secret, body, {
        deliveryId,
        ...(timestampSeconds === undefined ? {} : { timestampSeconds }),
      });

    const res = await deliver(raw, sign(raw, 'd-1'), 'd-1');
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().executionIds).toHaveLength(1);
    const run = await h.waitForExecution(res.json().executionIds[0]);
    expect(run.initialData).toMatchObject({
      body: { ref: 'refs/heads/main', spaces: 'kept as sent' },
      query: { source: 'test' },
    });
    expect(run.metadata.trigger).toMatchObject({ deliveryId: 'd-1' });

    const invalid = async (response: Promise<{ statusCode: number; json(): any }>) => {
      const r = await response;
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('INVALID_SIGNATURE');
      return r.json().error.message as string;
    };
    await invalid(deliver(raw.replace('main', 'evil'), sign(raw, 'd-2'), 'd-2'));
    await invalid(deliver(raw, '', 'd-3'));
    await invalid(deliver(raw, sign(raw, 'd-4', Math.floor(Date.now() / 1000) - 600), 'd-4'));
    // The delivery id is signed: a signature does not carry over to another id, and a
    // signed delivery without one is refused (it could be replayed).
    await invalid(deliver(raw, sign(raw, 'd-1'), 'd-5'));
    expect(await invalid(deliver(raw, sign(raw, 'd-6')))).toContain('x-spane-delivery');
    const repeated = await deliver(raw, sign(raw, 'd-1'), 'd-1');
    expect(repeated.statusCode).toBe(409);
    expect(repeated.json().error.code).toBe('DUPLICATE_DELIVERY');

    const unknown = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/tenant-a/no/such/hook',
      payload: 'plain text body',
      headers: { 'content-type': 'text/plain' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('WEBHOOK_NOT_FOUND');
    // Webhook routes take any content type (the HMAC is over the raw bytes); no API key.
    const xml = await h.app.inject({
      method: 'PUT',
      url: '/api/webhooks/tenant-a/a/b/c',
      headers: { 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect(xml.statusCode).toBe(404);
    expect(xml.json().error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('takes tenant and path as the document has them ({tenant}/{path}, "/" percent-encoded) and only trigger methods', async () => {
    await register(
      wf('hooked-get', [{ id: 'a', type: 'echo' }], {
        triggers: [{ type: 'webhook', path: 'shop/orders/new', method: 'GET' }],
      }),
    );
    // What a client generated from /api/webhooks/{tenant}/{path} sends for path = 'shop/orders/new'.
    const encoded = await h.app.inject({ url: '/api/webhooks/tenant-a/shop%2Forders%2Fnew?id=7' });
    expect(encoded.statusCode, encoded.body).toBe(202);
    const run = await h.waitForExecution(encoded.json().executionIds[0]);
    expect(run.workflowId).toBe('hooked-get');
    expect(run.initialData).toMatchObject({ query: { id: '7' } });
    const plain = await h.app.inject({ url: '/api/webhooks/tenant-a/shop/orders/new' });
    expect(plain.statusCode, plain.body).toBe(202);
    await h.waitForExecution(plain.json().executionIds[0]);
    for (const method of ['HEAD', 'OPTIONS'] as const) {
      const other = await h.app.inject({ method, url: '/api/webhooks/tenant-a/shop/orders/new' });
      expect(other.statusCode, method).toBe(405);
      expect(other.headers.allow).toBe('DELETE, GET, PATCH, POST, PUT');
    }
    // Without a tenant segment the path is read as <tenant>/<path>: no such trigger.
    const untenanted = await h.app.inject({ url: '/api/webhooks/shop/orders/new' });
    expect(untenanted.statusCode).toBe(404);
    expect(untenanted.json().error.code).toBe('WEBHOOK_NOT_FOUND');
    const badTenant = await h.app.inject({ url: '/api/webhooks/ten%20ant/shop/orders/new' });
    expect(badTenant.statusCode).toBe(400);
    expect(badTenant.json().error.code).toBe('BAD_REQUEST');
    const badDelivery = await h.app.inject({
      url: '/api/webhooks/tenant-a/shop/orders/new',
      headers: { 'x-spane-delivery': 'has.a.dot' },
    });
    expect(badDelivery.statusCode).toBe(400);
    expect(badDelivery.json().error.message).toContain('x-spane-delivery');
  });
});

describe('health, metrics and docs', () => {
  it('answers live and ready', async () => {
    const live = await h.app.inject({ url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await h.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      ok: true,
      redis: true,
      store: true,
      workers: true,
      liveWorkers: { live: 1, stuck: 0 },
    });
  });

  it('serves Prometheus metrics with execution, node, queue and DLQ series', async () => {
    await register(wf('metered', [{ id: 'm', type: 'echo' }]));
    const id = await execute('metered');
    await h.waitForExecution(id);
    const res = await h.app.inject({ url: '/metrics', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(
      /spane_executions_started_total\{tenant="tenant-a",workflow_id="metered"\} 1/,
    );
    expect(text).toMatch(
      /spane_executions_completed_total\{tenant="tenant-a",workflow_id="metered"\} 1/,
    );
    expect(text).toMatch(/spane_executions_failed_total\{tenant="tenant-a",workflow_id="doomed"\}/);
    expect(text).toMatch(/spane_node_runs_total\{node_type="echo",status="completed"\} \d+/);
    expect(text).toMatch(
      /spane_node_duration_seconds_count\{node_type="echo",status="completed"\}/,
    );
    expect(text).toMatch(/spane_queue_jobs\{state="waiting"\} \d+/);
    expect(text).toMatch(/spane_dlq_items \d+/);
    expect(text).toMatch(/^spane_workers_live 1$/m);
    expect(text).toMatch(/^spane_workers_stuck 0$/m);
    // No fault in this run: the engine's fault counters read 0.
    expect(text).toMatch(/spane_infra_retries_total 0/);
    expect(text).toMatch(/spane_refused_outcomes_total 0/);
    expect(text).toMatch(/spane_lost_locks_total 0/);
    expect(text).toMatch(/spane_http_requests_total\{method="POST",route="\/api\/workflows"/);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const res = await h.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['WorkflowDefinition', 'ExecutionState', 'Error', 'DLQItem']),
    );
    const operationIds = Object.values(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap((methods) => Object.values(methods))
      .map((op) => (op as { operationId?: string }).operationId);
    expect(operationIds).toEqual(
      expect.arrayContaining([
        'registerWorkflow',
        'listWorkflows',
        'getWorkflow',
        'listWorkflowVersions',
        'deleteWorkflow',
        'executeWorkflow',
        'executeWorkflows',
        'listExecutions',
        'getExecution',
        'getExecutionLogs',
        'getExecutionTrace',
        'streamExecutionEvents',
        'pauseExecution',
        'resumeExecution',
        'cancelExecution',
        'replayExecution',
        'signalExecution',
        'listDLQItems',
        'retryDLQItem',
        'getStats',
        'triggerWebhookGet',
        'triggerWebhookPost',
        'triggerWebhookPut',
        'triggerWebhookPatch',
        'triggerWebhookDelete',
        'live',
        'ready',
        'metrics',
      ]),
    );
    expect(doc.paths['/api/workflows'].post.requestBody.content['application/json'].schema).toEqual(
      {
        $ref: '#/components/schemas/WorkflowDefinition',
      },
    );
    const ui = await h.app.inject({ url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    expect(ui.body).toContain('Swagger UI');
    const css = await h.app.inject({ url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
  });
});

describe('started executions', () => {
  it('reports running nodes in the state', async () => {
    await register(wf('observe', [{ id: 'w', type: 'wait', config: { ms: 200 } }]));
    const running = nodeStarted('observe', 'w');
    const id = await execute('observe');
    expect(await running).toBe(id);
    const res = await h.app.inject({ url: `/api/executions/${id}`, headers: admin });
    expect(res.json().nodeResults.w.status).toBe('running');
    await h.waitForExecution(id);
  });
});
