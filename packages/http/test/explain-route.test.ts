import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

/**
 * `GET /api/executions/:id/explain` against a real engine: 200 with a body its OpenAPI
 * schema describes, 404 for an unknown id and for another tenant's execution.
 */

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

let h: HttpHarness;
const admin = bearer(KEYS.adminA);

beforeAll(async () => {
  h = await createHttpHarness();
});
afterAll(async () => {
  await h?.close();
});

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

async function execute(workflowId: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/workflows/${workflowId}/execute`,
    headers: admin,
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().executionId;
}

it('answers 200 with the reasons, as the OpenAPI schema describes them', async () => {
  const registered = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('explained', [
      { id: 'slow', type: 'wait', config: { ms: 60_000 } },
      { id: 'after', type: 'echo', inputs: ['slow'] },
    ]),
  });
  expect(registered.statusCode, registered.body).toBe(201);
  const started = nodeStarted('explained', 'slow');
  const id = await execute('explained');
  await started;

  const res = await h.app.inject({ url: `/api/executions/${id}/explain`, headers: admin });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  expect(body).toMatchObject({
    executionId: id,
    workflowId: 'explained',
    status: 'running',
    message: 'execution is running: 2 nodes not finished',
  });
  expect(body.nodes).toEqual([
    expect.objectContaining({
      nodeId: 'slow',
      nodeType: 'wait',
      status: 'running',
      reason: expect.objectContaining({ kind: 'running', attempt: 1, workerAlive: true }),
    }),
    {
      nodeId: 'after',
      nodeType: 'echo',
      status: 'pending',
      reason: { kind: 'waiting-for-parents', parents: [{ nodeId: 'slow', status: 'running' }] },
      message: 'waiting for its parent slow (running)',
    },
  ]);

  const doc = (await h.app.inject({ url: '/docs/json' })).json();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'spane:openapi', components: doc.components });
  const check = ajv.compile({ $ref: 'spane:openapi#/components/schemas/ExecutionExplanation' });
  expect(check(body), ajv.errorsText(check.errors)).toBe(true);
  // The schema is strict enough to tell a wrong reason from a right one.
  expect(check({ ...body, nodes: [{ ...body.nodes[1], reason: { kind: 'queued' } }] })).toBe(false);

  const cancelled = await h.app.inject({
    method: 'POST',
    url: `/api/executions/${id}/cancel`,
    headers: admin,
  });
  expect(cancelled.statusCode, cancelled.body).toBe(200);
  const after = await h.app.inject({ url: `/api/executions/${id}/explain`, headers: admin });
  expect(after.json()).toMatchObject({
    status: 'cancelled',
    message: 'execution cancelled',
    nodes: [],
  });
});

it("answers 404 for an unknown execution and for another tenant's", async () => {
  const unknown = await h.app.inject({
    url: '/api/executions/00000000-0000-0000-0000-000000000000/explain',
    headers: admin,
  });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error.code).toBe('EXECUTION_NOT_FOUND');

  await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('mine', [{ id: 'a', type: 'echo' }]),
  });
  const id = await execute('mine');
  const foreign = await h.app.inject({
    url: `/api/executions/${id}/explain`,
    headers: bearer(KEYS.adminB),
  });
  expect(foreign.statusCode).toBe(404);
  expect(foreign.json().error).toEqual({
    code: 'EXECUTION_NOT_FOUND',
    message: `Execution '${id}' not found`,
    details: { executionId: id },
  });
  const own = await h.app.inject({ url: `/api/executions/${id}/explain`, headers: admin });
  expect(own.statusCode).toBe(200);
});
