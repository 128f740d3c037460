import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

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
