import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpErrorResponse } from './http-errors.js';

/**
 * For the host's `Fastify({ frameworkErrors })` option: errors the router raises before any
 * plugin sees the request (a malformed URL, a path parameter longer than `maxParamLength`)
 * then answer in the API's error format too (`{ error: { code, message } }`).
 */
export function spaneFrameworkErrors(
  error: Error,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const response = toHttpErrorResponse(error);
  return reply.code(response.statusCode).headers(response.headers).send(response.body);
}
