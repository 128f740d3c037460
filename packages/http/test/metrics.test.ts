import type { EngineEventMap } from '@spane/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  REDIS_URL,
  until,
  wf,
} from './support/http-harness.js';

let h: HttpHarness;
const admin = bearer(KEYS.adminA);

beforeAll(async () => {
  h = await createHttpHarness();
  // Fails every attempt, retryably: each attempt is a failed run until the last one.
  h.registry.register('flaky', {
    execute: async () => ({ success: false, error: 'always down' }),
  });
});
afterAll(async () => {
  await h?.close();
});

async function scrape(): Promise<string> {
  const res = await h.app.inject({ url: '/metrics', headers: admin });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one series of the exposition text, or undefined when it has none. */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics of nodes that failed for good', () => {
  it('counts a node that failed its 3 attempts once in spane_nodes_failed_total, 3 times in spane_node_runs_total', async () => {
    const registered = await h.app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: admin,
      payload: wf('flaky-flow', [
        { id: 'ok', type: 'echo' },
        { id: 'down', type: 'flaky', inputs: ['ok'], retry: { attempts: 3 } },
      ]),
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const finals: EngineEventMap['node:failed'][] = [];
    const off = h.engine.on('node:failed', (p) => {
      if (p.final) finals.push(p);
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/workflows/flaky-flow/execute',
      headers: admin,
    });
    expect(res.statusCode, res.body).toBe(202);
    const state = await h.waitForExecution(res.json().executionId);
    expect(state.status).toBe('failed');
    expect(state.nodeResults.down?.attempts).toBe(3);

    const failedRuns = 'spane_node_runs_total{node_type="flaky",status="failed"}';
    const failedNodes = 'spane_nodes_failed_total{node_type="flaky"}';
    // Events reach the plugin through Redis: wait until the final one is counted.
    const text: string = await until(async () => {
      const t = await scrape();
      return seriesValue(t, failedNodes) === 1 ? t : '';
    });
    expect(seriesValue(text, failedRuns)).toBe(3);
    expect(seriesValue(text, 'spane_node_runs_total{node_type="flaky",status="retrying"}')).toBe(2);
    // A node that completed is no failed node.
    expect(seriesValue(text, 'spane_nodes_failed_total{node_type="echo"}')).toBeUndefined();
    expect(text).toContain('# TYPE spane_nodes_failed_total counter');

    // Events come at least once: the final event delivered again (as a re-run after a
    // crash would send it, with the same eventId) is not counted again.
    off();
    expect(finals).toHaveLength(1);
    const publisher = new Redis(REDIS_URL);
    try {
      let repeats = 0;
      const seen = h.engine.on('node:failed', (p) => {
        if (p.eventId === finals[0]!.eventId) repeats += 1;
      });
      await publisher.publish(
        `${h.prefix}:channel:node`,
        JSON.stringify({ kind: 'event', name: 'node:failed', payload: finals[0] }),
      );
      await until(() => repeats === 1);
      seen();
    } finally {
      await publisher.quit();
    }
    const after = await scrape();
    expect(seriesValue(after, failedNodes)).toBe(1);
    expect(seriesValue(after, failedRuns)).toBe(3);
  });
});
