import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChannelMessage, EngineChannel } from '../src/engine-channel.js';
import { REDIS_URL, until } from './support/engine-harness.js';
import { freePort } from './support/private-redis.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  for (const c of opened.splice(0).reverse()) await c.close();
});

function completed(executionId: string): ChannelMessage {
  const payload = { eventId: `workflow:completed:${executionId}`, executionId, workflowId: 'w' };
  return { kind: 'event', name: 'workflow:completed', payload } as ChannelMessage;
}

function nodeCompleted(nodeId: string): ChannelMessage {
  const payload = { eventId: `node:completed:e:${nodeId}:1`, executionId: 'e', nodeId };
  return { kind: 'event', name: 'node:completed', payload } as ChannelMessage;
}

/** What a plain subscriber to both of `prefix`'s channels receives: [channel, message] in order. */
async function listenTo(prefix: string) {
  const sub = new Redis(REDIS_URL);
  opened.push({ close: () => sub.disconnect() });
  const got: [string, unknown][] = [];
  sub.on('message', (channel: string, raw: string) => got.push([channel, JSON.parse(raw)]));
  await sub.subscribe(`${prefix}:channel`, `${prefix}:channel:node`);
  return got;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const nodeIds = (m: unknown) =>
  (Array.isArray(m) ? m : [m]).map((e: { payload: { nodeId: string } }) => e.payload.nodeId);

/** A channel on `prefix` (a stand-in for one engine process) and what its handlers heard. */
async function channelOn(prefix: string, redisUrl = REDIS_URL, lingerMs?: number) {
  // A server that is not there fails each command at once instead of queueing it.
  const reachable = redisUrl === REDIS_URL;
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: reachable });
  publisher.on('error', () => {});
  const channel = new EngineChannel(
    { channel: `${prefix}:channel`, nodeChannel: `${prefix}:channel:node` },
    publisher,
    quiet,
    lingerMs,
  );
  opened.push({ close: () => publisher.disconnect() }, channel);
  const heard: ChannelMessage[] = [];
  channel.onMessage((m) => heard.push(m));
  return { channel, publisher, heard };
}

describe('engine channel', () => {
  it("hands this process's events to its handlers once, and other processes' through Redis", async () => {
    const prefix = `chan-${randomUUID()}`;
    const a = await channelOn(prefix);
    const b = await channelOn(prefix);
    await a.channel.open();
    await b.channel.open();

    a.channel.publish(completed('one'));
    await until(() => a.heard.length === 1 && b.heard.length === 1, 5_000, 'both heard it');
    // Redis sends a's copy back to a; a marker b publishes after a's PUBLISH was served
    // reaches a after that copy: by then a would have heard its own event twice.
    await a.publisher.ping();
    b.channel.publish(completed('marker'));
    await until(() => a.heard.length === 2, 5_000, 'the marker at a');

    const ids = (h: ChannelMessage[]) =>
      h.map((m) => (m as { payload: { executionId: string } }).payload.executionId);
    expect(ids(a.heard)).toEqual(['one', 'marker']);
    expect(ids(b.heard)).toEqual(['one', 'marker']);
    // Heard through Redis: the message as published, with its sender's stamp.
    expect(b.heard[0]).toMatchObject(completed('one'));
    expect((b.heard[0] as { from?: unknown }).from).toEqual(expect.any(String));
  });

  it("hands this process's events to its handlers in order when Redis does not take them", async () => {
    // Nothing listens on this port: every PUBLISH fails.
    const down = `redis://127.0.0.1:${await freePort()}`;
    const a = await channelOn(`chan-${randomUUID()}`, down);
    a.channel.publish(completed('first'));
    a.channel.publish(completed('second'));
    a.channel.publish({ kind: 'abort', executionId: 'first', reason: 'cancelled' });
    await until(() => a.heard.length === 2, 5_000, 'both events heard');
    expect(a.heard).toEqual([completed('first'), completed('second')]);
  });

  it('never hands an event over inside the turn that published it', async () => {
    const a = await channelOn(`chan-${randomUUID()}`);
    // A pause is flushed at once (synchronously): its handlers still run after this turn.
    a.channel.publish({
      kind: 'event',
      name: 'workflow:paused',
      payload: { executionId: 'p' },
    } as ChannelMessage);
    expect(a.heard).toEqual([]);
    await Promise.resolve();
    expect(a.heard).toHaveLength(1);
  });

  it('sends node events of several turns in one PUBLISH, ahead of the workflow event after them', async () => {
    const prefix = `chan-${randomUUID()}`;
    const got = await listenTo(prefix);
    // A linger longer than the test: only the workflow event sends the node events.
    const a = await channelOn(prefix, REDIS_URL, 60_000);
    await a.publisher.ping();
    for (const nodeId of ['n1', 'n2', 'n3']) {
      a.channel.publish(nodeCompleted(nodeId), true);
      await nextTurn();
    }
    // Each reached this process's handlers in its own turn, without waiting.
    expect(a.heard).toHaveLength(3);
    a.channel.publish(completed('e'));
    await until(() => got.length === 2, 5_000, 'both messages');
    expect(got.map(([channel]) => channel)).toEqual([
      `${prefix}:channel:node`,
      `${prefix}:channel`,
    ]);
    expect(nodeIds(got[0]![1])).toEqual(['n1', 'n2', 'n3']);
  });

  it('sends node events alone once they lingered', async () => {
    const prefix = `chan-${randomUUID()}`;
    const got = await listenTo(prefix);
    const a = await channelOn(prefix, REDIS_URL, 30);
    a.channel.publish(nodeCompleted('alone'), true);
    await until(() => got.length === 1, 5_000, 'the node event');
    expect(nodeIds(got[0]![1])).toEqual(['alone']);
  });

  it('sends a node event not asked to linger in its turn, with those held before it', async () => {
    const prefix = `chan-${randomUUID()}`;
    const got = await listenTo(prefix);
    const a = await channelOn(prefix, REDIS_URL, 60_000);
    await a.publisher.ping();
    a.channel.publish(nodeCompleted('held'), true);
    await nextTurn();
    a.channel.publish(nodeCompleted('prompt'));
    await nextTurn();
    a.channel.publish(nodeCompleted('next'));
    await until(() => got.length === 2, 5_000, 'two PUBLISHes');
    expect(got.map(([, m]) => nodeIds(m))).toEqual([['held', 'prompt'], ['next']]);
  });
});
