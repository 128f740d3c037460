import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createHttpHarness, type HttpHarness, KEYS, wf } from './support/http-harness.js';

let h: HttpHarness;

const BREAKER = { failureRate: 1, minimumRuns: 2, windowMs: 60_000, openMs: 60_000 };

beforeAll(async () => {
  h = await createHttpHarness();
  h.registry.register(
    'guarded',
    { execute: async () => ({ success: false, error: 'upstream said 429', retryable: true }) },
    { breaker: BREAKER, retry: { attempts: 1, backoff: { type: 'fixed', delayMs: 10 } } },
  );
});
afterAll(async () => {
  await h?.close();
});

const listed = async () => {
  const res = await h.app.inject({ url: '/api/node-types', headers: bearer(KEYS.readA) });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: { type: string; breaker?: Record<string, unknown> }[] }).items;
};

const run = async (workflowId: string) => {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/workflows/${workflowId}/execute`,
    headers: bearer(KEYS.adminA),
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().executionId as string;
};

describe('circuit breakers over HTTP', () => {
  it('GET /api/node-types shows a breaker’s options and state; /metrics its state and changes', async () => {
    const closed = (await listed()).find((t) => t.type === 'guarded');
    expect(closed?.breaker).toEqual({ ...BREAKER, state: 'closed' });
    // Types without a breaker show none.
    expect((await listed()).find((t) => t.type === 'echo')?.breaker).toBeUndefined();

    const created = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: bearer(KEYS.adminA),
      payload: wf('guarded-flow', [{ id: 'G', type: 'guarded' }]),
    });
    expect(created.statusCode, created.body).toBe(201);
    for (let i = 0; i < 2; i++) {
      expect((await h.waitForExecution(await run('guarded-flow'))).status).toBe('failed');
    }
    const opened = await (async () => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const t = (await listed()).find((x) => x.type === 'guarded');
        if (t?.breaker?.state === 'open' || Date.now() > deadline) return t;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    expect(opened?.breaker).toMatchObject({ ...BREAKER, state: 'open' });
    const until = Date.parse(String(opened?.breaker?.opensUntil));
    expect(until).toBeGreaterThan(Date.now() + 50_000);

    // The change counter follows the breaker:changed event (pub/sub): poll for it.
    const transition = 'spane_breaker_transitions_total{node_type="guarded",state="open"} 1';
    const scrape = async () => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const res = await h.app.inject({ url: '/metrics', headers: bearer(KEYS.readA) });
        expect(res.statusCode).toBe(200);
        if (res.body.includes(transition) || Date.now() > deadline) return res.body;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const metrics = await scrape();
    expect(metrics).toContain(transition);
    expect(metrics).toContain('spane_breaker_state{node_type="guarded",state="open"} 1');
    expect(metrics).toContain('spane_breaker_state{node_type="guarded",state="closed"} 0');
  });
});
