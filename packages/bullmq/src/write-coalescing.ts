import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';

/** Sockets whose writes are already gathered. */
const coalesced = new WeakSet<Socket>();

/**
 * Gathers the writes a connection makes in one turn of the event loop into one socket
 * write: its socket is corked at the turn's first write and uncorked in the turn's check
 * phase (`setImmediate`), after the turn's other callbacks, process ticks and promise jobs
 * have written theirs. Commands keep their order and none waits past the turn it was sent
 * in; without this each command is a `write` system call of its own (and a read of its own
 * on the Redis side). Each new socket of the connection (a reconnect) is gathered too. A
 * Cluster client (no socket of its own) is left as it is.
 */
export function coalesceWrites(redis: Redis): void {
  const gather = (): void => {
    const socket = (redis as unknown as { stream?: Socket }).stream;
    if (socket === undefined || coalesced.has(socket) || typeof socket.cork !== 'function') {
      return;
    }
    coalesced.add(socket);
    const write = socket.write;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    socket.write = function (this: Socket, ...args: unknown[]): boolean {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as Socket['write'];
  };
  gather();
  redis.on('connect', gather);
}
