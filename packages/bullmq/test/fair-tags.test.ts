import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@spane/core';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveEngineOptions } from '../src/engine-options.js';
import { FairShare } from '../src/fair-share.js';
import type { NodeJob } from '../src/node-enqueuer.js';
import { deleteKeys, REDIS_URL } from './support/engine-harness.js';

const SHIFT = 2 ** 32;
const BAND = 8;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix = '';
let fair: FairShare;
let counter = 0;

afterAll(async () => {
  await deleteKeys(redis, 'spane-test-fair-*');
  await redis.quit();
});

beforeEach(() => {
  prefix = `spane-test-fair-${randomUUID().slice(0, 8)}`;
  fair = new FairShare({ redis, prefix, enabled: true, band: BAND, spareMs: 0 });
});

function job(tenantId: string, id: string, priority?: number): NodeJob {
  const opts = priority === undefined ? { jobId: id } : { jobId: id, priority };
  return {
    queue: 'nodes',
    name: 'work',
    data: { executionId: id, workflowId: 'w', workflowVersion: '1', nodeId: 'N', tenantId },
    opts,
  };
}

/** Orders the jobs, then adds them to the prioritized set as BullMQ would (no job hashes). */
async function add(...jobs: NodeJob[]): Promise<number[]> {
  const ordered = await fair.order('nodes', jobs);
  for (const j of ordered) {
    counter += 1;
    await redis.zadd(
      fair.prioritizedKey('nodes'),
      j.opts.priority! * SHIFT + counter,
      j.opts.jobId!,
    );
  }
  return ordered.map((j) => j.opts.priority!);
}

/** The test's connection, counting the script calls made through it. */
function countingRedis() {
  const counted = {
    calls: 0,
    evalsha: (...args: unknown[]) => {
      counted.calls += 1;
      return (redis.evalsha as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    eval: (...args: unknown[]) => {
      counted.calls += 1;
      return (redis.eval as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    zcount: redis.zcount.bind(redis),
  };
  return counted as unknown as Redis & { calls: number };
}

/** Takes the first waiting job, as a worker would (ZPOPMIN). */
async function take(): Promise<string | undefined> {
  return (await redis.zpopmin(fair.prioritizedKey('nodes')))[0];
}

describe('fair tags', () => {
  it('a tenant alone gets growing tags; another one starts next to the head of the queue', async () => {
    expect(await add(job('a', 'a1'), job('a', 'a2'), job('a', 'a3'))).toEqual([1, 2, 3]);
    expect(await add(job('a', 'a4'))).toEqual([4]);
    expect(await add(job('b', 'b1'), job('b', 'b2'))).toEqual([2, 3]);
    expect(await take()).toBe('a1');
    expect(await take()).toBe('a2');
    expect(await take()).toBe('b1');
  });

  it('jobs with a priority come after the band, in priority order, and leave the tags alone', async () => {
    expect(await add(job('a', 'p5', 5), job('a', 'x'), job('a', 'p1', 1))).toEqual([
      BAND + 5,
      1,
      BAND + 1,
    ]);
    expect(await redis.hget(fair.tagsKey('nodes'), 'a')).toBe('1');
    expect(await fair.tagged('nodes')).toBe(1);
    expect([await take(), await take(), await take()]).toEqual(['x', 'p1', 'p5']);
  });

  it('a lost reply only delays the tenant until the head passes its tags; an empty band starts afresh', async () => {
    await add(job('a', 'a1'), job('a', 'a2'));
    // The script ran but its jobs were never added (the reply was lost, the process died).
    await fair.order('nodes', [job('a', 'lost1'), job('a', 'lost2'), job('a', 'lost3')]);
    expect(await add(job('a', 'a3'))).toEqual([6]);
    expect(await add(job('b', 'b1'))).toEqual([2]);
    while (await take());
    expect(await redis.exists(fair.prioritizedKey('nodes'))).toBe(0);
    expect(await add(job('a', 'a4'))).toEqual([1]);
    expect(await redis.hgetall(fair.tagsKey('nodes'))).toEqual({ a: '1' });
    expect(await redis.pttl(fair.tagsKey('nodes'))).toBeGreaterThan(0);
  });

  it('tags past the band stay at its end; the band moves down once its head passes the middle', async () => {
    expect(
      await add(...['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((i) => job('a', i))),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    await add(job('a', 'prio', 2));
    for (let i = 0; i < 5; i += 1) await take();
    // The head's tag is 6 (past 8 / 2): every waiting tag and the tenants' tags move down by 5.
    expect(await add(job('b', 'b1'))).toEqual([2]);
    const scores = await redis.zrange(fair.prioritizedKey('nodes'), 0, -1, 'WITHSCORES');
    const byJob = new Map<string, number>();
    for (let i = 0; i < scores.length; i += 2) {
      byJob.set(scores[i]!, Math.floor(Number(scores[i + 1]) / SHIFT));
    }
    expect(Object.fromEntries(byJob)).toEqual({ 6: 1, 7: 2, 8: 3, 9: 3, b1: 2, prio: BAND + 2 });
    expect(await redis.hgetall(fair.tagsKey('nodes'))).toEqual({ a: '3', b: '2' });
    const order: string[] = [];
    for (let j = await take(); j; j = await take()) order.push(j);
    expect(order).toEqual(['6', '7', 'b1', '8', '9', 'prio']);
  });

  it('spares: a busy tenant tags its next jobs without a call, keeping first-in first-out order', async () => {
    const counted = countingRedis();
    fair = new FairShare({ redis: counted, prefix, enabled: true, spareMs: 60_000 });
    const tags: number[] = [];
    for (let i = 0; i < 100; i += 1) tags.push(...(await add(job('a', `a${i}`))));
    expect(tags).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Spares asked for grow with the tenant's rate (1, 2, 4, … up to 64 at once).
    expect(counted.calls).toBeLessThan(10);
    // Another tenant still starts next to the head of the queue, past nobody's spares.
    expect(await add(job('b', 'b1'))).toEqual([2]);
    expect(await take()).toBe('a0');
    expect(await take()).toBe('a1');
    expect(await take()).toBe('b1');
  });

  it('prime: tags asked for ahead are used by the next order, which waits for them without a call', async () => {
    const counted = countingRedis();
    fair = new FairShare({ redis: counted, prefix, enabled: true, spareMs: 60_000 });
    expect(await add(job('a', 'a1'))).toEqual([1]);
    // (A first call may take two commands, when Redis does not hold the script yet.)
    const first = counted.calls;
    // Asked ahead for two jobs; the order made while that call is out waits for it.
    fair.prime('nodes', 'a', 2);
    fair.prime('nodes', 'a', 2);
    expect(counted.calls).toBe(first + 1);
    expect(await add(job('a', 'a2'), job('a', 'a3'))).toEqual([2, 3]);
    expect(counted.calls).toBe(first + 1);
    // Spares that cover the next jobs: no call at all.
    fair.prime('nodes', 'a', 0);
    expect(counted.calls).toBe(first + 1);
    // Another tenant's tags are not the primed tenant's.
    expect(await add(job('b', 'b1'))).toEqual([2]);
    expect(counted.calls).toBe(first + 2);
  });

  it('prime: a call that fails leaves the order to ask again; off, it calls nothing', async () => {
    const counted = countingRedis();
    let failing = true;
    const evalsha = counted.evalsha as unknown as (...a: unknown[]) => Promise<unknown>;
    (counted as { evalsha: unknown }).evalsha = (...args: unknown[]) => {
      if (!failing) return evalsha(...args);
      counted.calls += 1;
      return Promise.reject(new Error('Redis is down'));
    };
    fair = new FairShare({ redis: counted, prefix, enabled: true, spareMs: 60_000 });
    fair.prime('nodes', 'a', 1);
    expect(counted.calls).toBe(1);
    failing = false;
    expect(await add(job('a', 'a1'))).toEqual([1]);
    expect(counted.calls).toBeGreaterThan(1);

    const off = countingRedis();
    fair = new FairShare({ redis: off, prefix, enabled: false });
    fair.prime('nodes', 'a', 1);
    expect(off.calls).toBe(0);
  });

  it('spares: while they may be in use, an empty band does not start afresh and the band does not move down', async () => {
    fair = new FairShare({ redis, prefix, enabled: true, band: BAND, spareMs: 60_000 });
    // a gets tags 1, then 2 and 3 (one spare), then 4 from its spare, then 5..7 (+3 spares).
    for (let i = 0; i < 4; i += 1) await add(job('a', `a${i}`));
    expect(await redis.hget(fair.tagsKey('nodes'), 'a')).toBe('7');
    while (await take());
    // The band is empty, but a's spares (5..7) may still be added: b starts after them.
    const other = new FairShare({ redis, prefix, enabled: true, band: BAND, spareMs: 0 });
    expect((await other.order('nodes', [job('b', 'b1')]))[0]!.opts.priority).toBe(8);
    // a's next jobs use its spares: no tag of its is handed out twice.
    expect(await add(job('a', 'a4'), job('a', 'a5'))).toEqual([5, 6]);
    // Past the middle of the band (the head's tag is 5) no spare is given out, and the band
    // stays where it is; a's spare 7, too few for two jobs, is left unused.
    expect(await redis.zcard(fair.prioritizedKey('nodes'))).toBe(2);
    expect(await add(job('a', 'a6'), job('a', 'a7'))).toEqual([8, 8]);
    expect(await redis.hget(fair.tagsKey('nodes'), 'a')).toBe('8');
    expect(await redis.hget(`${fair.tagsKey('nodes')}:spares`, 'top')).toBe('7');
  });

  it('spares expire: once none may be in use the band moves down as it does without them', async () => {
    fair = new FairShare({ redis, prefix, enabled: true, band: BAND, spareMs: 20 });
    const other = new FairShare({ redis, prefix, enabled: true, band: BAND, spareMs: 0 });
    await add(job('a', 'a1'));
    // One spare (tag 7) with these five.
    await add(job('a', 'a2'), job('a', 'a3'), job('a', 'a4'), job('a', 'a5'), job('a', 'a6'));
    for (let i = 0; i < 5; i += 1) await take();
    // The head's tag is 6; the spares given out were to be used until a moment ago.
    const spares = `${fair.tagsKey('nodes')}:spares`;
    expect(await redis.hget(spares, 'top')).toBe('7');
    await redis.hset(spares, 'until', '1');
    const [b1] = await other.order('nodes', [job('b', 'b1')]);
    // Moved down by 5: the head is 1 again and b starts next to it.
    expect(b1!.opts.priority).toBe(2);
    expect(await redis.hget(fair.tagsKey('nodes'), 'a')).toBe('2');
  });

  it('off: jobs are returned as given, without a Redis call', async () => {
    const off = new FairShare({ redis, prefix, enabled: false });
    const jobs = [job('a', 'x'), job('a', 'y', 3)];
    expect(await off.order('nodes', jobs)).toBe(jobs);
    expect(await off.tagged('nodes')).toBe(0);
    expect(await redis.exists(off.tagsKey('nodes'))).toBe(0);
  });

  it('the engine option is on by default and must be a boolean', () => {
    expect(resolveEngineOptions({}).fairScheduling).toBe(true);
    expect(resolveEngineOptions({ fairScheduling: false }).fairScheduling).toBe(false);
    expect(() => resolveEngineOptions({ fairScheduling: 'no' as never })).toThrow(
      InvalidArgumentError,
    );
  });
});
