import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, toHttpErrorResponse } from './http-errors.js';

/** Status, code and message of the parser errors that have their own answer. */
const KNOWN: Readonly<Record<string, readonly [number, string, string]>> = Object.freeze({
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PAYLOAD_TOO_LARGE', 'The chunk extensions are too large'],
});

/** The raw HTTP/1.1 response, with a JSON body in the API's error shape, of a parser error. */
export function clientErrorResponse(code: string | undefined): string {
  const [status, errorCode, message] = KNOWN[code ?? ''] ?? [
    400,
    'BAD_REQUEST',
    `Malformed HTTP request${code ? ` (${code})` : ''}`,
  ];
  return rawErrorResponse(status, errorCode, message);
}

/**
 * A whole raw HTTP/1.1 response (`Connection: close`) with a JSON body in the API's error
 * shape, for answers written straight to a socket; `headers` are added as given.
 */
export function rawErrorResponse(
  status: number,
  code: string,
  message: string,
  headers: readonly string[] = [],
): string {
  const { body } = toHttpErrorResponse(new HttpError(status, code, message));
  const text = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    ...headers,
    'Connection: close',
    '',
    text,
  ].join('\r\n');
}

/**
 * For the host's `Fastify({ clientErrorHandler })` option (set by `spaneServerOptions`):
 * what Node's HTTP parser refuses before any route sees it — a malformed request (400),
 * headers over Node's `maxHeaderSize` (431), a request not received within the request
 * or headers timeout (408) — is answered in the API's error shape, then the connection is
 * closed. Nothing is written when a response has already started on the connection.
 */
export function spaneClientErrorHandler(
  this: { log?: FastifyBaseLogger } | undefined,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this?.log?.debug({ err: error }, 'client error');
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(clientErrorResponse(error.code));
  socket.destroy();
}

/**
 * An `onRequest` hook that answers 400 `BAD_REQUEST` to an HTTP/1.1 request without a
 * `Host` header (which HTTP/1.1 requires). The plugin runs it on its own routes; a host
 * that uses `spaneServerOptions` (which turns off Node's own check, a bare 400) adds it at
 * its root for its other routes: `app.addHook('onRequest', spaneHostCheck)`.
 */
export async function spaneHostCheck(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const raw = request.raw;
  if (raw.httpVersionMajor !== 1 || raw.httpVersionMinor < 1) return undefined;
  if (request.headers.host !== undefined) return undefined;
  const { statusCode, body } = toHttpErrorResponse(
    new HttpError(400, 'BAD_REQUEST', 'Missing Host header (HTTP/1.1 requires one)'),
  );
  return reply.code(statusCode).header('connection', 'close').send(body);
}
