import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { InvalidArgumentError } from '@spane/core';
import { rawErrorResponse } from './client-errors.js';

/** Seconds a client refused by the connection cap is asked to wait (`Retry-After`). */
export const CONNECTION_CAP_RETRY_AFTER_S = 1;
/** Most refused connections held at once while their 503 is delivered; beyond, closed at once. */
export const CONNECTION_CAP_MAX_REFUSING = 100;
/** Longest a refused connection is held for its 503 to be read before it is closed. */
export const CONNECTION_CAP_LINGER_MS = 1_000;

/** The 503 of a connection over the cap, written once. */
const REFUSAL = Buffer.from(
  rawErrorResponse(
    503,
    'UNAVAILABLE',
    'The server has too many open connections; try again later',
    [`Retry-After: ${CONNECTION_CAP_RETRY_AFTER_S}`],
  ),
);

/** The state of a cap installed by {@link spaneConnectionCap}. */
export interface ConnectionCap {
  /** Most connections served at once. */
  readonly maxConnections: number;
  /** Connections served now (refused ones not counted). */
  readonly open: number;
  /** Refused connections still held while their 503 is delivered. */
  readonly refusing: number;
  /** Connections refused since the cap was installed (answered or closed at once). */
  readonly refused: number;
}

/**
 * Caps the connections an HTTP/1.1 server serves at once, like Node's
 * `server.maxConnections` (do not set both) — but instead of closing a connection over
 * the cap without a word, answers it `503` `{ error: { code: 'UNAVAILABLE', … } }` with
 * `Retry-After: 1` and `Connection: close`. The answer is one prepared buffer written as
 * soon as the connection is accepted, before any request is read (no parser, no route);
 * what the client sends is read and dropped, so that closing does not reset the
 * connection before the answer is read. A refused connection is held until the client
 * closes it or for at most {@link CONNECTION_CAP_LINGER_MS}; at most
 * {@link CONNECTION_CAP_MAX_REFUSING} are held at once, and further ones are closed at once
 * without an answer, as Node would — so a flood costs a bounded number of file
 * descriptors. Call it once, right after creating the server (e.g.
 * `spaneConnectionCap(app.server, limits.maxConnections)`): it takes over the server's
 * `connection` listeners present then (Node's HTTP parser among them); listeners added
 * later see refused connections too. Plain HTTP only: over TLS the answer would be
 * written before the handshake.
 * @throws InvalidArgumentError for a cap that is not a positive integer
 */
export function spaneConnectionCap(server: Server, maxConnections: number): ConnectionCap {
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidArgumentError('spaneConnectionCap: maxConnections must be a positive integer');
  }
  const serve = server.listeners('connection');
  server.removeAllListeners('connection');
  const cap = { maxConnections, open: 0, refusing: 0, refused: 0 };
  const refuse = (socket: Socket): void => {
    cap.refused++;
    socket.on('error', () => {}); // a reset by the client is its business
    if (cap.refusing >= CONNECTION_CAP_MAX_REFUSING) {
      socket.destroy();
      return;
    }
    cap.refusing++;
    const timer = setTimeout(() => socket.destroy(), CONNECTION_CAP_LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      cap.refusing--;
      clearTimeout(timer);
    });
    socket.resume();
    socket.end(REFUSAL);
  };
  server.on('connection', (socket: Socket) => {
    if (cap.open >= cap.maxConnections) {
      refuse(socket);
      return;
    }
    cap.open++;
    socket.once('close', () => {
      cap.open--;
    });
    for (const listener of serve) Reflect.apply(listener, server, [socket]);
  });
  return cap;
}
