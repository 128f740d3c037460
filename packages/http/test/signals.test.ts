import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  until,
  wf,
} from './support/http-harness.js';

/** `POST /api/executions/:id/signals/:name` against a real engine. */

let h: HttpHarness;
const admin = bearer(KEYS.adminA);
const json = { ...admin, 'content-type': 'application/json' };

async function startWaiting(): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/approval/execute',
    headers: admin,
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().executionId as string;
  const scope = await h.scopeOf(id);
  await until(
    async () => (await h.engine.getExecution(id, scope))?.nodeResults.wait?.status === 'delayed',
  );
  return id;
}

function signal(
  id: string,
  name: string,
  payload?: string,
  headers: Record<string, string> = json,
): InjectOptions {
  return {
    method: 'POST',
    url: `/api/executions/${id}/signals/${name}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  };
}

beforeAll(async () => {
  h = await createHttpHarness({ engine: { limits: { maxPayloadBytes: 1_000 } } });
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: admin,
    payload: wf('approval', [
      { id: 'wait', type: 'wait-for-signal', config: { name: 'approval' } },
      { id: 'after', type: 'echo', inputs: ['wait'] },
    ]),
  });
  expect(res.statusCode, res.body).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

describe('POST /api/executions/:id/signals/:name', () => {
  it('answers 202 and completes the node with the body; a second signal is 409', async () => {
    const id = await startWaiting();
    const res = await h.app.inject(signal(id, 'approval', '{"approved":true,"by":"ann"}'));
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ executionId: id, name: 'approval', accepted: true });
    const state = await h.waitForExecution(id);
    expect(state.status).toBe('completed');
    expect(state.nodeResults.after?.data).toEqual({ approved: true, by: 'ann' });

    const again = await h.app.inject(signal(id, 'approval', '"late"'));
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'SIGNAL_REJECTED',
      details: { executionId: id, name: 'approval', reason: 'execution-finished' },
    });
  });

  it('takes any JSON value; no body is null', async () => {
    const bare = await startWaiting();
    const none = await h.app.inject(signal(bare, 'approval', undefined, admin));
    expect(none.statusCode, none.body).toBe(202);
    expect((await h.waitForExecution(bare)).nodeResults.wait?.data).toBeNull();

    const text = await startWaiting();
    const res = await h.app.inject(signal(text, 'approval', '"yes"'));
    expect(res.statusCode, res.body).toBe(202);
    expect((await h.waitForExecution(text)).nodeResults.wait?.data).toBe('yes');
  });

  it('refuses a racing second signal with 409 already-received', async () => {
    const id = await startWaiting();
    const [a, b] = await Promise.all([
      h.app.inject(signal(id, 'approval', '1')),
      h.app.inject(signal(id, 'approval', '2')),
    ]);
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([202, 409]);
    const loser = a!.statusCode === 409 ? a! : b!;
    expect(loser.json().error.details.reason).toBe('already-received');
    const winner = a!.statusCode === 202 ? 1 : 2;
    expect((await h.waitForExecution(id)).nodeResults.wait?.data).toBe(winner);
  });

  it('answers 404, 403, 413 and 400 for what it cannot take, keeping nothing', async () => {
    const id = await startWaiting();
    const unknown = await h.app.inject(signal(id, 'nope', '1'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('UNKNOWN_SIGNAL');
    const missing = await h.app.inject(signal('no-such-execution', 'approval', '1'));
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('EXECUTION_NOT_FOUND');
    // Another tenant's execution is a missing one.
    const foreign = await h.app.inject(
      signal(id, 'approval', '1', { ...bearer(KEYS.adminB), 'content-type': 'application/json' }),
    );
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('EXECUTION_NOT_FOUND');
    // A read key may not send signals.
    const read = await h.app.inject(
      signal(id, 'approval', '1', { ...bearer(KEYS.readA), 'content-type': 'application/json' }),
    );
    expect(read.statusCode).toBe(403);
    const large = await h.app.inject(signal(id, 'approval', JSON.stringify('x'.repeat(2_000))));
    expect(large.statusCode).toBe(413);
    expect(large.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const badName = await h.app.inject(signal(id, 'no%20spaces', '1'));
    expect(badName.statusCode).toBe(400);
    const badJson = await h.app.inject(signal(id, 'approval', '{"a":'));
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBe('INVALID_JSON');

    const scope = await h.scopeOf(id);
    expect(await h.store.getSignal(id, 'approval')).toBeNull();
    expect((await h.engine.getExecution(id, scope))?.nodeResults.wait?.status).toBe('delayed');
    const ok = await h.app.inject(signal(id, 'approval', '{"ok":true}'));
    expect(ok.statusCode, ok.body).toBe(202);
    expect((await h.waitForExecution(id)).nodeResults.after?.data).toEqual({ ok: true });
  });
});
