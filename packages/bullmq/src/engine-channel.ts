import { randomUUID } from 'node:crypto';
import type { EngineEventMap, EngineEventName } from '@spane/core';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * How long node-level events published by this process may wait before they are sent to
 * the others (ms). Each PUBLISH is a round trip to Redis that wakes it and then this
 * process; a process running a node every turn of its event loop would otherwise make one
 * a turn. Listeners in this process get their events at once.
 */
export const NODE_EVENTS_LINGER_MS = 20;

/** Node-level events queued past which they are sent in the turn (one PUBLISH's worth). */
const MAX_LINGERING = 500;

/** A message between engine processes. */
export type ChannelMessage =
  | { kind: 'event'; name: EngineEventName; payload: EngineEventMap[EngineEventName] }
  | { kind: 'abort'; executionId: string; reason: 'cancelled' | 'failed' };

/** A message as sent: with the id of the channel (process) that sent it. */
type Stamped = ChannelMessage & { from?: string };

/**
 * Redis pub/sub between every engine process sharing a prefix: engine events (so
 * listeners in every process see them) and abort orders (so a cancel or a failure stops
 * running nodes on every worker). Publishing uses the engine's command connection;
 * receiving uses a dedicated subscriber connection, opened on first use.
 *
 * Messages published in one turn of the event loop go out as one PUBLISH of a JSON array
 * (in order), so a busy worker sends one command per turn rather than one per event.
 * Node-level events published to linger (those whose sequel stays in this process until it
 * adds a job: see {@link EngineChannel.publish}) wait up to {@link NODE_EVENTS_LINGER_MS}
 * for company, so a worker that runs a node a turn sends them at most 50 times a second
 * rather than every turn; any other message goes out in its turn, taking the ones queued
 * before it along (in order).
 * An abort order (and `workflow:paused`) is sent at once, after the events queued before it.
 *
 * Node-level events (`node:*`) go to a channel of their own, which a process subscribes to
 * only once it has a node-level listener ({@link EngineChannel.open} with `nodeEvents`):
 * a process that listens only to workflow events does not receive and parse every node's.
 *
 * This process's own events reach its handlers without the round trip through Redis: in a
 * microtask after they are published (in order, before they are sent), also when Redis is
 * down. Each message carries its sender's `from`, by which the subscriber drops the
 * copy of its own events that Redis sends back. Abort orders still go through Redis only.
 */
export class EngineChannel {
  readonly #name: string;
  readonly #nodeName: string;
  readonly #publisher: Redis;
  readonly #logger: EngineLogger;
  readonly #handlers = new Set<(message: ChannelMessage) => void>();
  /** Stamped on every message sent: its copy heard back is this process's own. */
  readonly #origin = randomUUID();
  #subscriber: Redis | undefined;
  #ready: Promise<void> | undefined;
  #subscribed = false;
  /** Counts the subscriber's lost connections (messages published meanwhile were missed). */
  #epoch = 0;
  #nodesReady: Promise<void> | undefined;
  #wantNodes = false;
  #queued: ChannelMessage[] = [];
  /** Events of this process waiting for their microtask to reach its handlers. */
  #local: ChannelMessage[] = [];
  #flushing: NodeJS.Immediate | undefined;
  /** Armed while node-level events wait for company: sends the queue when it fires. */
  #lingering: NodeJS.Timeout | undefined;
  /** Set by close/disconnect: later opens subscribe nothing, and a pending one ends quietly. */
  #closed = false;

  /** How long node-level events may wait for company (ms; see NODE_EVENTS_LINGER_MS). */
  readonly #lingerMs: number;

  constructor(
    keys: Pick<RedisKeys, 'channel' | 'nodeChannel'>,
    publisher: Redis,
    logger: EngineLogger,
    lingerMs = NODE_EVENTS_LINGER_MS,
  ) {
    this.#name = keys.channel;
    this.#nodeName = keys.nodeChannel;
    this.#publisher = publisher;
    this.#logger = logger;
    this.#lingerMs = lingerMs;
  }

  /**
   * Subscribes (once); resolves when messages published from now on will be received —
   * node-level events too once any call asked for them (`nodeEvents`).
   */
  open(nodeEvents = false): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (nodeEvents) this.#wantNodes = true;
    const main = this.#openMain();
    if (!this.#wantNodes) return main;
    // Subscribed together with the main channel when asked for before it was opened.
    this.#nodesReady ??= main.then(() =>
      this.#subscriber!.subscribe(this.#nodeName).then(
        () => undefined,
        (err: Error) => {
          this.#nodesReady = undefined;
          throw err;
        },
      ),
    );
    return this.#nodesReady;
  }

  #openMain(): Promise<void> {
    if (!this.#ready) {
      const sub = this.#publisher.duplicate();
      this.#subscriber = sub;
      sub.on('close', () => {
        this.#epoch += 1;
      });
      sub.on('error', (err: Error) =>
        this.#logger.warn('subscriber connection error', { error: err.message }),
      );
      sub.on('message', (_channel: string, raw: string) => {
        let messages: ChannelMessage[];
        try {
          const parsed = JSON.parse(raw) as ChannelMessage | ChannelMessage[];
          messages = Array.isArray(parsed) ? parsed : [parsed];
        } catch {
          return;
        }
        for (const message of messages) {
          // This process's own events were handed to its handlers as they were published.
          if (message.kind === 'event' && (message as Stamped).from === this.#origin) continue;
          this.#deliver(message);
        }
      });
      const withNodes = this.#wantNodes;
      this.#ready = sub.subscribe(this.#name, ...(withNodes ? [this.#nodeName] : [])).then(
        () => {
          this.#subscribed = true;
        },
        (err: Error) => {
          // Redis was unreachable: forget this attempt so the next open() tries again.
          this.#ready = undefined;
          this.#nodesReady = undefined;
          this.#subscriber = undefined;
          sub.disconnect();
          // The engine closed meanwhile: nobody waits for these messages any more.
          if (this.#closed) return;
          throw err;
        },
      );
      if (withNodes) this.#nodesReady = this.#ready;
    }
    return this.#ready;
  }

  /**
   * True while messages published by any process reach this one: subscribed, and the
   * subscriber connected (ioredis subscribes again when it reconnects).
   */
  get receiving(): boolean {
    return this.#subscribed && this.#subscriber?.status === 'ready';
  }

  /**
   * While {@link EngineChannel.receiving}, a number that changes whenever the subscriber
   * loses its connection (so messages may have been missed since a caller last read it);
   * undefined while not receiving.
   */
  get receivingEpoch(): number | undefined {
    return this.receiving ? this.#epoch : undefined;
  }

  onMessage(handler: (message: ChannelMessage) => void): void {
    this.#handlers.add(handler);
  }

  #deliver(message: ChannelMessage): void {
    for (const handler of this.#handlers) {
      try {
        handler(message);
      } catch (err) {
        this.#logger.error('channel handler threw', { error: (err as Error).message });
      }
    }
  }

  /**
   * Publishes without waiting for Redis (events at the end of this turn of the event loop,
   * an abort order at once); a failure is logged, never thrown. An event reaches this
   * process's handlers in a microtask, whether or not Redis takes it.
   *
   * `linger`: a node-level event may wait up to {@link NODE_EVENTS_LINGER_MS} for company.
   * Only for an event whose sequel no other process can announce before this one adds a
   * job ({@link EngineChannel.flushLingering}) or publishes anything else.
   */
  publish(message: ChannelMessage, linger = false): void {
    if (message.kind === 'event') this.#deliverLocally(message);
    this.#queued.push(message);
    // Pause drops other processes' handoffs (see Handoffs): it goes out at once too.
    if (message.kind === 'abort' || message.name === 'workflow:paused') this.flush();
    else if (
      linger &&
      this.#flushing === undefined &&
      this.#channelOf(message) === this.#nodeName &&
      this.#queued.length < MAX_LINGERING
    ) {
      this.#lingering ??= setTimeout(() => this.flush(), this.#lingerMs);
    } else this.#flushing ??= setImmediate(() => this.flush());
  }

  /**
   * Sends the queued messages now if node-level events among them wait for company (see
   * {@link NODE_EVENTS_LINGER_MS}); else leaves them to the end of the turn.
   */
  flushLingering(): void {
    if (this.#lingering) this.flush();
  }

  /** Sends the queued messages now. */
  flush(): void {
    if (this.#flushing) clearImmediate(this.#flushing);
    if (this.#lingering) clearTimeout(this.#lingering);
    this.#flushing = undefined;
    this.#lingering = undefined;
    if (this.#queued.length === 0) return;
    const queued = this.#queued;
    this.#queued = [];
    // Runs of messages of one channel, in order: one PUBLISH per run.
    let start = 0;
    for (let i = 1; i <= queued.length; i++) {
      if (i < queued.length && this.#channelOf(queued[i]!) === this.#channelOf(queued[start]!)) {
        continue;
      }
      const run = queued.slice(start, i);
      const raw =
        run.length === 1
          ? this.#stamped(run[0]!)
          : `[${run.map((m) => this.#stamped(m)).join(',')}]`;
      this.#publisher.publish(this.#channelOf(run[0]!), raw).catch((err: Error) => {
        this.#logger.warn('publish failed', { error: err.message });
      });
      start = i;
    }
  }

  /**
   * Hands an event to this process's handlers in a microtask (never inside the caller's
   * own code, which may go on with the work the event announces), in order.
   */
  #deliverLocally(message: ChannelMessage): void {
    this.#local.push(message);
    if (this.#local.length > 1) return;
    queueMicrotask(() => {
      const local = this.#local;
      this.#local = [];
      for (const m of local) this.#deliver(m);
    });
  }

  /** A message's JSON with its sender's `from` as its first field. */
  #stamped(message: ChannelMessage): string {
    return `{"from":"${this.#origin}",${JSON.stringify(message).slice(1)}`;
  }

  #channelOf(message: ChannelMessage): string {
    return message.kind === 'event' && message.name.startsWith('node:')
      ? this.#nodeName
      : this.#name;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.flush();
    this.#handlers.clear();
    const sub = this.#subscriber;
    if (!sub) return;
    // Not connected (Redis down or unreachable): nothing to say goodbye to.
    if (sub.status !== 'ready') return this.disconnect();
    await this.#ready?.catch(() => {});
    await sub.quit().catch(() => sub.disconnect());
    this.#subscribed = false;
    this.#subscriber = undefined;
  }

  /** Drops the subscriber connection at once (also when Redis does not answer a `close`). */
  disconnect(): void {
    this.#closed = true;
    this.#subscribed = false;
    this.#handlers.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }
}
