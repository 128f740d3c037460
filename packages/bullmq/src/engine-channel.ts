import type { EngineEventMap, EngineEventName } from '@spane/core';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';
import type { RedisKeys } from './redis-keys.js';

/** A message between engine processes. */
export type ChannelMessage =
  | { kind: 'event'; name: EngineEventName; payload: EngineEventMap[EngineEventName] }
  | { kind: 'abort'; executionId: string; reason: 'cancelled' | 'failed' };

/**
 * Redis pub/sub between every engine process sharing a prefix: engine events (so
 * listeners in every process see them) and abort orders (so a cancel or a failure stops
 * running nodes on every worker). Publishing uses the engine's command connection;
 * receiving uses a dedicated subscriber connection, opened on first use.
 *
 * Messages published in one turn of the event loop go out as one PUBLISH of a JSON array
 * (in order), so a busy worker sends one command per turn rather than one per event.
 * An abort order (and `workflow:paused`) is sent at once, after the events queued before it.
 *
 * Node-level events (`node:*`) go to a channel of their own, which a process subscribes to
 * only once it has a node-level listener ({@link EngineChannel.open} with `nodeEvents`):
 * a process that listens only to workflow events does not receive and parse every node's.
 */
export class EngineChannel {
  readonly #name: string;
  readonly #nodeName: string;
  readonly #publisher: Redis;
  readonly #logger: EngineLogger;
  readonly #handlers = new Set<(message: ChannelMessage) => void>();
  #subscriber: Redis | undefined;
  #ready: Promise<void> | undefined;
  #subscribed = false;
  /** Counts the subscriber's lost connections (messages published meanwhile were missed). */
  #epoch = 0;
  #nodesReady: Promise<void> | undefined;
  #wantNodes = false;
  #queued: ChannelMessage[] = [];
  #flushing: NodeJS.Immediate | undefined;
  /** Set by close/disconnect: later opens subscribe nothing, and a pending one ends quietly. */
  #closed = false;

  constructor(
    keys: Pick<RedisKeys, 'channel' | 'nodeChannel'>,
    publisher: Redis,
    logger: EngineLogger,
  ) {
    this.#name = keys.channel;
    this.#nodeName = keys.nodeChannel;
    this.#publisher = publisher;
    this.#logger = logger;
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
          for (const handler of this.#handlers) {
            try {
              handler(message);
            } catch (err) {
              this.#logger.error('channel handler threw', { error: (err as Error).message });
            }
          }
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

  /**
   * Publishes without waiting for Redis (events at the end of this turn of the event
   * loop, an abort order at once); a failure is logged, never thrown.
   */
  publish(message: ChannelMessage): void {
    this.#queued.push(message);
    // Pause drops other processes' handoffs (see Handoffs): it goes out at once too.
    if (message.kind === 'abort' || message.name === 'workflow:paused') this.flush();
    else this.#flushing ??= setImmediate(() => this.flush());
  }

  /** Sends the queued messages now. */
  flush(): void {
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#flushing = undefined;
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
      const raw = JSON.stringify(run.length === 1 ? run[0] : run);
      this.#publisher.publish(this.#channelOf(run[0]!), raw).catch((err: Error) => {
        this.#logger.warn('publish failed', { error: err.message });
      });
      start = i;
    }
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
