import type { IncomingMessage } from 'node:http';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Query parameter names whose values may be credentials. */
const SECRET_PARAM = /key|token|secret|passw|auth|sig|credential|session|cookie/i;

/**
 * `url` with the value of every query parameter whose name looks like a credential
 * (`api_key`, `access_token`, `signature`, …) replaced by `[redacted]`.
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name.replaceAll('+', ' '));
      } catch {
        // a malformed name is matched as it is
      }
      return SECRET_PARAM.test(name) ? `${part.slice(0, eq)}=[redacted]` : part;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/**
 * The pino serializer of `req` in fastify's own log lines (the API's request line is
 * {@link RequestLogController}'s): method, URL with credentials redacted, remote address.
 */
export function requestSerializer(req: IncomingMessage | FastifyRequest): Record<string, unknown> {
  const raw = 'raw' in req ? req.raw : req;
  return {
    method: raw.method,
    url: redactQuery(raw.url ?? ''),
    remoteAddress: raw.socket?.remoteAddress,
  };
}

/** Probe paths: a successful probe is logged at debug, so that probes do not flood the log. */
const PROBES = new Set(['/health/live', '/health/ready']);

/**
 * Fastify's per-request log lines, as one line per request written when the response is
 * done: method, path without its query string (which may carry secrets), status, response
 * time in ms, and the request id (`reqId`, from the request logger). Successful health
 * probes are logged at debug, every other request at info.
 *
 * Fastify's own pair ("incoming request" and "request completed") and its "route not
 * found" line are left out. Errors are still logged: by the API's error handler, and by
 * fastify's default error handler for a 5xx elsewhere (a 4xx there at debug, since its
 * request line already says it). This is fastify's `logController` option, the
 * replacement of the deprecated `disableRequestLogging` plus an `onResponse` hook.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const url = request.url.split('?', 1)[0] ?? request.url;
    const line = {
      method: request.method,
      url,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      ...(error ? { err: error } : {}),
    };
    const message = `${request.method} ${url} ${reply.statusCode}`;
    if (error) reply.log.error(line, message);
    else if (PROBES.has(url) && reply.statusCode < 300) reply.log.debug(line, message);
    else reply.log.info(line, message);
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) super.defaultErrorLog(error, request, reply);
    else reply.log.debug({ err: error }, error.message);
  }
}
