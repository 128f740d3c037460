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
 */
export class EngineChannel {
  readonly #name: string;
  readonly #publisher: Redis;
  readonly #makeSubscriber: () => Redis;
  readonly #logger: EngineLogger;
  readonly #handlers = new Set<(message: ChannelMessage) => void>();
  #subscriber: Redis | undefined;
  #ready: Promise<void> | undefined;

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
        let message: ChannelMessage;
        try {
          message = JSON.parse(raw) as ChannelMessage;
        } catch {
          return;
        }
        for (const handler of this.#handlers) {
          try {
            handler(message);
          } catch (err) {
            this.#logger.error('channel handler threw', { error: (err as Error).message });
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

  /** Publishes without waiting for Redis; a failure is logged, never thrown. */
  publish(message: ChannelMessage): void {
    this.#publisher.publish(this.#name, JSON.stringify(message)).catch((err: Error) => {
      this.#logger.warn('publish failed', { error: err.message });
    });
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    const sub = this.#subscriber;
    this.#subscriber = undefined;
    if (sub) {
      await this.#ready?.catch(() => {});
      await sub.quit().catch(() => sub.disconnect());
    }
  }
}
