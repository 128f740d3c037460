import type { EngineEventMap, EngineEventName } from '@spane/core';
import type { Redis } from 'ioredis';
import type { EngineLogger } from './engine-options.js';

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
 * An abort order is sent at once, after the events queued before it.
 */
export class EngineChannel {
  readonly #name: string;
  readonly #publisher: Redis;
  readonly #makeSubscriber: () => Redis;
  readonly #logger: EngineLogger;
  readonly #handlers = new Set<(message: ChannelMessage) => void>();
  #subscriber: Redis | undefined;
  #ready: Promise<void> | undefined;
  #queued: ChannelMessage[] = [];
  #flushing: NodeJS.Immediate | undefined;

  constructor(prefix: string, publisher: Redis, makeSubscriber: () => Redis, logger: EngineLogger) {
    this.#name = `${prefix}:channel`;
    this.#publisher = publisher;
    this.#makeSubscriber = makeSubscriber;
    this.#logger = logger;
  }

  /** Subscribes (once); resolves when messages published from now on will be received. */
  open(): Promise<void> {
    if (!this.#ready) {
      const sub = this.#makeSubscriber();
      this.#subscriber = sub;
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
      this.#ready = sub.subscribe(this.#name).then(
        () => undefined,
        (err: Error) => {
          // Redis was unreachable: forget this attempt so the next open() tries again.
          this.#ready = undefined;
          this.#subscriber = undefined;
          sub.disconnect();
          throw err;
        },
      );
    }
    return this.#ready;
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
    if (message.kind === 'abort') this.flush();
    else this.#flushing ??= setImmediate(() => this.flush());
  }

  /** Sends the queued messages now. */
  flush(): void {
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#flushing = undefined;
    if (this.#queued.length === 0) return;
    const batch = this.#queued;
    this.#queued = [];
    const raw = JSON.stringify(batch.length === 1 ? batch[0] : batch);
    this.#publisher.publish(this.#name, raw).catch((err: Error) => {
      this.#logger.warn('publish failed', { error: err.message });
    });
  }

  async close(): Promise<void> {
    this.flush();
    this.#handlers.clear();
    const sub = this.#subscriber;
    this.#subscriber = undefined;
    if (sub) {
      await this.#ready?.catch(() => {});
      await sub.quit().catch(() => sub.disconnect());
    }
  }
}
