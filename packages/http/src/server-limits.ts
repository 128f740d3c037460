import type { ServerOptions } from 'node:http';
import { InvalidArgumentError } from '@spane/core';
import type { FastifyServerOptions } from 'fastify';
import { spaneClientErrorHandler } from './client-errors.js';
import { spaneFrameworkErrors } from './framework-errors.js';

/** Timeouts and the connection cap of the HTTP server that serves the API. */
export interface SpaneServerLimits {
  /**
   * Time a client has to send a whole request, headers and body; after it the server
   * answers 408 `REQUEST_TIMEOUT` and closes the connection. Only receiving counts: a
   * slow handler or a long event stream is not cut. @defaultValue 30_000
   */
  requestTimeoutMs?: number;
  /** Time a client has to send a request's headers (at most `requestTimeoutMs`). @defaultValue 10_000 */
  headersTimeoutMs?: number;
  /**
   * A connection on which nothing is sent or received for this long is closed (above the
   * API's SSE heartbeat of 15 s, so event streams stay open). @defaultValue 60_000
   */
  connectionTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept between requests. @defaultValue 72_000 */
  keepAliveTimeoutMs?: number;
  /**
   * Most connections open at once (given to `spaneConnectionCap`); a further one is
   * answered 503 `UNAVAILABLE` with `Retry-After` and closed. Keep it below the process's
   * file descriptor limit (`ulimit -n`), leaving room for Redis and database connections.
   * @defaultValue 10_000
   */
  maxConnections?: number;
}

/** The defaults of {@link SpaneServerLimits}. */
export const DEFAULT_SERVER_LIMITS: Readonly<Required<SpaneServerLimits>> = Object.freeze({
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
});

/**
 * The fastify options that put {@link SpaneServerLimits} in force, and answer errors that
 * no route sees in the API's error shape (`{ error: { code, message } }`): Node's HTTP
 * parser errors (400 `BAD_REQUEST`, 408 `REQUEST_TIMEOUT`, 431 `HEADERS_TOO_LARGE`) through
 * {@link spaneClientErrorHandler}, and router errors through `spaneFrameworkErrors`.
 * Node's own check of the `Host` header (a bare 400) is turned off: the plugin answers a
 * missing `Host` itself (see `spaneHostCheck` for routes of the host's own).
 */
export type SpaneServerOptions = Required<
  Pick<
    FastifyServerOptions,
    | 'requestTimeout'
    | 'connectionTimeout'
    | 'keepAliveTimeout'
    | 'clientErrorHandler'
    | 'frameworkErrors'
  >
> & { http: ServerOptions };

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`spaneServerOptions: ${name} must be a positive integer`);
  }
  return value;
}

/**
 * Checks limits and fills in the defaults.
 * @throws InvalidArgumentError for a value that is not a positive integer, or headers
 * allowed more time than the whole request
 */
export function resolveServerLimits(limits: SpaneServerLimits = {}): Required<SpaneServerLimits> {
  const resolved = { ...DEFAULT_SERVER_LIMITS };
  for (const key of Object.keys(DEFAULT_SERVER_LIMITS) as (keyof SpaneServerLimits)[]) {
    if (limits[key] !== undefined) resolved[key] = positive(key, limits[key]);
  }
  if (limits.headersTimeoutMs === undefined) {
    resolved.headersTimeoutMs = Math.min(resolved.headersTimeoutMs, resolved.requestTimeoutMs);
  } else if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new InvalidArgumentError(
      'spaneServerOptions: headersTimeoutMs must be at most requestTimeoutMs',
    );
  }
  return resolved;
}

/**
 * Options for `Fastify(...)` when the host serves the API:
 *
 * ```ts
 * const app = Fastify({ logger: true, ...spaneServerOptions({ requestTimeoutMs: 20_000 }) });
 * spaneConnectionCap(app.server, DEFAULT_SERVER_LIMITS.maxConnections);
 * ```
 *
 * The connection cap is not a fastify option: install it on Node's server with
 * `spaneConnectionCap` as above. Node checks the request and header timeouts
 * periodically; the interval is derived from the shorter one (at most 1 s), so a timeout
 * fires at most that much late.
 * @throws InvalidArgumentError see {@link resolveServerLimits}
 */
export function spaneServerOptions(limits: SpaneServerLimits = {}): SpaneServerOptions {
  const l = resolveServerLimits(limits);
  const shortest = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    requestTimeout: l.requestTimeoutMs,
    connectionTimeout: l.connectionTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    http: {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(shortest / 4))),
      requireHostHeader: false,
    },
    clientErrorHandler: spaneClientErrorHandler,
    frameworkErrors: spaneFrameworkErrors,
  };
}
