import type { FastifyInstance } from 'fastify';
import type { EventStreams } from '../event-streams.js';
import { ExecutionEventStream } from '../execution-event-stream.js';
import { components, errorResponses, IdParams } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

/**
 * `GET /api/executions/:id/events`: Server-Sent Events. First `event: state` with the
 * current state, then every engine event of the execution (`event: node:completed`, …)
 * as it happens, and when the run ends, the terminal event followed by the final
 * `event: state`; then the stream closes. A stream of a run that has already ended sends
 * only its state. Listeners are removed when the client goes away. The stream itself is
 * an {@link ExecutionEventStream}.
 */
export function executionEventsRoute(
  app: FastifyInstance,
  { engine, auth, options }: RouteContext,
  streams: EventStreams,
): void {
  app.get<{ Params: IdParams }>(
    '/api/executions/:id/events',
    {
      // A HEAD would open a stream nobody reads.
      exposeHeadRoute: false,
      onRequest: auth.require('read'),
      schema: {
        tags: ['executions'],
        operationId: 'streamExecutionEvents',
        summary: 'Server-Sent Events of an execution until it ends',
        description:
          'Events: `state` (the ExecutionState; first and last), then the engine events of this execution (`workflow:*`, `node:*`) with their payloads. Comments (`: keep-alive`) keep the connection open. An event may repeat what the first state already shows.',
        security: BEARER,
        params: components.inline(IdParams),
        response: {
          200: {
            description: 'A text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const events = new ExecutionEventStream({
        engine,
        executionId: request.params.id,
        scope: { tenantId: auth.tenantOf(request) },
        heartbeatMs: options.sseHeartbeatMs,
        streams,
      });
      await events.open(reply.raw);
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      return reply.send(events.body);
    },
  );
}
