import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerAdmit, breakerRecord } from '../src/lua-scripts.js';
import { RedisScript } from '../src/redis-script.js';
import { deleteKeys, REDIS_URL } from './support/engine-harness.js';

/**
 * The circuit breaker's two scripts on a real Redis, with the clock passed in: the state
 * machine (closed → open → half-open → closed / open), the window, and a probe that never
 * reports (its process died) being replaced once its lease ends.
 */

const ADMIT = new RedisScript(breakerAdmit);
const RECORD = new RedisScript(breakerRecord);
const OPTIONS = { failureRate: 0.5, minimumRuns: 4, windowMs: 10_000, openMs: 5_000 };
const LEASE = 20_000;

let redis: Redis;
const prefix = `spane-test-${randomUUID().slice(0, 8)}`;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

function breaker(name: string) {
  const keys = [`${prefix}:breaker:${name}`, `${prefix}:breaker:${name}:waiting`];
  return {
    admit: (now: number, token: string, member = `nodes/${token}`) =>
      ADMIT.run(redis, keys, [now, token, LEASE, member]) as Promise<(number | string)[]>,
    record: (now: number, token: string, outcome: 1 | 0 | -1) =>
      RECORD.run(redis, keys, [
        now,
        token,
        outcome,
        OPTIONS.failureRate,
        OPTIONS.minimumRuns,
        OPTIONS.windowMs,
        OPTIONS.openMs,
        OPTIONS.windowMs / 10,
      ]) as Promise<(number | string)[]>,
  };
}

describe('circuit breaker scripts', () => {
  it('opens at the failure rate over minimumRuns, not before; old runs leave the window', async () => {
    const b = breaker('window');
    const t0 = 1_000_000;
    expect(await b.admit(t0, 'a')).toEqual([0]);
    // Three failures: below minimumRuns.
    for (let i = 0; i < 3; i++)
      expect(await b.record(t0 + i, `f${i}`, 0)).toEqual(['closed', 0, 0]);
    // Past the window, they no longer count: four successes then one failure stay closed.
    const t1 = t0 + 11_000;
    for (let i = 0; i < 4; i++) expect(await b.record(t1, `s${i}`, 1)).toEqual(['closed', 0, 0]);
    expect(await b.record(t1, 'f', 0)).toEqual(['closed', 0, 0]);
    // 4 of 8 failed: open until now + openMs.
    for (let i = 0; i < 2; i++) expect(await b.record(t1, `g${i}`, 0)).toEqual(['closed', 0, 0]);
    expect(await b.record(t1 + 1, 'h', 0)).toEqual(['open', 1, t1 + 1 + OPTIONS.openMs]);
  });

  it('lets exactly one probe through after openMs, replaces a probe that never reports, and closes on success', async () => {
    const b = breaker('probe');
    const t0 = 2_000_000;
    for (let i = 0; i < 4; i++) await b.record(t0, `f${i}`, 0);
    const until = t0 + OPTIONS.openMs;
    expect(await b.admit(t0 + 1, 'w1')).toEqual([2, until]);
    // A run admitted before it opened changes nothing.
    expect(await b.record(t0 + 2, 'late', 1)).toEqual(['open', 0, 0]);
    // Due: the first asker probes, the others wait for the probe's lease.
    expect(await b.admit(until, 'p1')).toEqual([1, until + LEASE, 'open']);
    expect(await b.admit(until + 1, 'w2')).toEqual([2, until + LEASE]);
    // p1's process died: once its lease ended, the next asker probes; p1's late word is ignored.
    expect(await b.admit(until + LEASE, 'p2')).toEqual([1, until + 2 * LEASE, 'half-open']);
    expect(await b.record(until + LEASE + 1, 'p1', 1)).toEqual(['half-open', 0, 0]);
    // p2 succeeds: closed, and the jobs it delayed are handed back to be woken.
    const closed = await b.record(until + LEASE + 2, 'p2', 1);
    expect(closed.slice(0, 3)).toEqual(['closed', 1, 0]);
    expect(new Set(closed.slice(3))).toEqual(new Set(['nodes/w1', 'nodes/w2']));
    expect(await b.admit(until + LEASE + 3, 'next')).toEqual([0]);
  });

  it('a failed probe opens it again; a probe without a verdict lets the next run probe at once', async () => {
    const b = breaker('again');
    const t0 = 3_000_000;
    for (let i = 0; i < 4; i++) await b.record(t0, `f${i}`, 0);
    const due = t0 + OPTIONS.openMs;
    expect((await b.admit(due, 'p1'))[0]).toBe(1);
    expect(await b.record(due + 10, 'p1', 0)).toEqual(['open', 1, due + 10 + OPTIONS.openMs]);
    expect(await b.admit(due + 11, 'w')).toEqual([2, due + 10 + OPTIONS.openMs]);
    const next = due + 10 + OPTIONS.openMs;
    expect((await b.admit(next, 'p2'))[0]).toBe(1);
    // p2 was aborted (no verdict): the next asker probes without waiting for the lease.
    expect(await b.record(next + 1, 'p2', -1)).toEqual(['half-open', 0, 0]);
    expect((await b.admit(next + 2, 'p3'))[0]).toBe(1);
  });
});
