import { connect, createServer, type Server, type Socket } from 'node:net';
import { REDIS_URL } from './engine-harness.js';

/**
 * A TCP proxy in front of the test Redis, so a test can do to one engine's connections
 * what a crash or a slow network would do:
 * - `cut()` drops every connection and refuses new ones: Redis sees what it sees when the
 *   engine's process is killed (its worker stops renewing job locks);
 * - `hold()` keeps everything the engine sends from reaching Redis until `release()`.
 */
export interface RedisProxy {
  /** redis:// URL of the proxy. */
  url: string;
  /** Drops every connection and refuses new ones until `restore`. */
  cut(): void;
  /** Accepts connections again (ioredis reconnects by itself). */
  restore(): void;
  /** Buffers every command sent through the proxy (replies still flow) until `release`. */
  hold(): void;
  /** Sends the buffered commands, in order, and stops buffering. */
  release(): void;
  /** Connections open through the proxy now. */
  readonly connections: number;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
  buffered: Buffer[];
}

export async function createRedisProxy(target = new URL(REDIS_URL)): Promise<RedisProxy> {
  const links = new Set<Link>();
  let isCut = false;
  let held = false;
  const server: Server = createServer((client) => {
    client.on('error', () => client.destroy());
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    upstream.on('error', () => upstream.destroy());
    const link: Link = { client, upstream, buffered: [] };
    links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (held) link.buffered.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const drop = (): void => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const dropAll = (): void => {
    for (const link of links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    links.clear();
  };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    cut() {
      isCut = true;
      dropAll();
    },
    restore() {
      isCut = false;
    },
    hold() {
      held = true;
    },
    release() {
      held = false;
      for (const link of links) {
        for (const chunk of link.buffered.splice(0)) link.upstream.write(chunk);
      }
    },
    get connections() {
      return links.size;
    },
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
