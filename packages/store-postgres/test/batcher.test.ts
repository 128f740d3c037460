import { describe, expect, it } from 'vitest';
import { Batcher, Failure } from '../src/batcher.js';

/** A write that records its batches and finishes when `release` is called. */
function controlled<T>() {
  const batches: T[][] = [];
  const releases: (() => void)[] = [];
  const write = (batch: readonly T[]) =>
    new Promise<T[]>((resolve) => {
      batches.push([...batch]);
      releases.push(() => resolve([...batch]));
    });
  return { batches, releases, write };
}

/** Lets the pending promise callbacks run (the batcher starts the next batch in one). */
const drained = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('sends a lone call at once and groups the calls made while batches are in flight', async () => {
    const c = controlled<number>();
    const b = new Batcher<number, number>({ maxBatch: 10, maxInFlight: 1, write: c.write });
    const first = b.add(1);
    expect(c.batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => b.add(n));
    expect(c.batches).toHaveLength(1);
    c.releases[0]!();
    expect(await first).toBe(1);
    await drained();
    expect(c.batches).toEqual([[1], [2, 3, 4]]);
    c.releases[1]!();
    expect(await Promise.all(rest)).toEqual([2, 3, 4]);
  });

  it('keeps at most maxInFlight batches of at most maxBatch items, in call order', async () => {
    const c = controlled<number>();
    const b = new Batcher<number, number>({ maxBatch: 2, maxInFlight: 2, write: c.write });
    const calls = [1, 2, 3, 4, 5, 6, 7].map((n) => b.add(n));
    expect(c.batches).toEqual([[1], [2]]);
    c.releases[0]!();
    await calls[0];
    await drained();
    expect(c.batches).toEqual([[1], [2], [3, 4]]);
    c.releases[1]!();
    c.releases[2]!();
    await Promise.all(calls.slice(1, 4));
    await drained();
    expect(c.batches).toEqual([[1], [2], [3, 4], [5, 6], [7]]);
    c.releases[3]!();
    c.releases[4]!();
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('leaves an item that does not fit for a later batch, keeping its place', async () => {
    const c = controlled<string>();
    const b = new Batcher<string, string>({
      maxBatch: 10,
      maxInFlight: 1,
      fits: (batch, item) => !batch.includes(item),
      write: c.write,
    });
    const calls = ['x', 'a', 'b', 'a', 'c', 'a'].map((s) => b.add(s));
    c.releases[0]!();
    await calls[0];
    await drained();
    expect(c.batches[1]).toEqual(['a', 'b', 'c']);
    c.releases[1]!();
    await calls[4];
    await drained();
    expect(c.batches[2]).toEqual(['a']);
    c.releases[2]!();
    await calls[3];
    await drained();
    expect(c.batches[3]).toEqual(['a']);
    c.releases[3]!();
    expect(await Promise.all(calls)).toEqual(['x', 'a', 'b', 'a', 'c', 'a']);
  });

  it('fails one item with its Failure, and every item when the write throws', async () => {
    let fail = false;
    const b = new Batcher<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      write: async (batch) => {
        if (fail) throw new Error('connection lost');
        return batch.map((n) => (n < 0 ? new Failure(new Error(`bad ${n}`)) : n));
      },
    });
    const results = await Promise.allSettled([b.add(1), b.add(-2), b.add(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'bad -2' });
    fail = true;
    const failed = await Promise.allSettled([b.add(4), b.add(5)]);
    expect(failed.every((r) => r.status === 'rejected')).toBe(true);
    fail = false;
    expect(await b.add(6)).toBe(6);
  });
});
