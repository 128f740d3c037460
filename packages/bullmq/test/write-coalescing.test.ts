import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/write-coalescing.js';
import { REDIS_URL } from './support/engine-harness.js';

/** Counts the socket's writes to the kernel: `_write` for one chunk, `_writev` for several. */
function countWrites(socket: Socket): { single: number; gathered: number } {
  const counts = { single: 0, gathered: 0 };
  const target = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => void>;
  const single = target._write;
  const gathered = target._writev;
  target._write = function (this: unknown, ...a: unknown[]) {
    counts.single += 1;
    return single.apply(this, a);
  };
  target._writev = function (this: unknown, ...a: unknown[]) {
    counts.gathered += 1;
    return gathered.apply(this, a);
  };
  return counts;
}

function socketOf(redis: Redis): Socket {
  return (redis as unknown as { stream: Socket }).stream;
}

describe('coalesceWrites', () => {
  const clients: Redis[] = [];
  const client = async (): Promise<Redis> => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    await redis.ping();
    return redis;
  };
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });

  /** 20 commands sent in one turn: their replies, and the socket's writes. */
  async function burst(redis: Redis) {
    const counts = countWrites(socketOf(redis));
    const key = `coalesce-test:${process.pid}:${Math.random()}`;
    const replies = Promise.all(Array.from({ length: 20 }, (_, i) => redis.rpush(key, String(i))));
    // Commands sent from promise jobs of the same turn join the same write.
    const later = Promise.resolve().then(() => redis.lrange(key, 0, -1));
    const [pushed, list] = await Promise.all([replies, later]);
    const writes = counts.single + counts.gathered;
    await redis.del(key);
    return { pushed, list, writes };
  }

  it('sends the commands of one turn in one socket write, in order', async () => {
    const redis = await client();
    coalesceWrites(redis);
    const { pushed, list, writes } = await burst(redis);
    expect(pushed).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(list).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(writes).toBe(1);
  });

  it('without it, each command is a write of its own', async () => {
    const redis = await client();
    const { list, writes } = await burst(redis);
    expect(list).toHaveLength(20);
    expect(writes).toBe(21);
  });

  it("gathers a reconnected connection's new socket too", async () => {
    const redis = await client();
    coalesceWrites(redis);
    const first = socketOf(redis);
    const reconnected = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    first.destroy();
    await reconnected;
    expect(socketOf(redis)).not.toBe(first);
    const { list, writes } = await burst(redis);
    expect(list).toHaveLength(20);
    expect(writes).toBe(1);
  });
});
