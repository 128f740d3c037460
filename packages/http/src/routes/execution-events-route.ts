import type { FastifyInstance } from 'fastify';
import { eventStreamDescription } from '../event-stream-schemas.js';
import type { EventStreams } from '../event-streams.js';
import { ExecutionEventStream } from '../execution-event-stream.js';
import { components, errorResponses, IdParams } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

const STREAM_EXAMPLE = [
  'event: state',
  'data: {"executionId":"48504b8c-714e-4698-80d2-63b22118aa4a","status":"running","nodeResults":{},"...":"..."}',
  '',
  'event: node:completed',
  'data: {"eventId":"node:completed:48504b8c-714e-4698-80d2-63b22118aa4a:pick:1","executionId":"48504b8c-714e-4698-80d2-63b22118aa4a","workflowId":"order-flow","tenantId":"acme","timestamp":"2026-01-05T09:31:00.030Z","nodeId":"pick","nodeType":"transform","attempt":1,"durationMs":18}',
  '',
  ': keep-alive',
  '',
  'event: workflow:completed',
  'data: {"eventId":"workflow:completed:48504b8c-714e-4698-80d2-63b22118aa4a","executionId":"48504b8c-714e-4698-80d2-63b22118aa4a","workflowId":"order-flow","tenantId":"acme","timestamp":"2026-01-05T09:31:00.420Z"}',
  '',
  'event: state',
  'data: {"executionId":"48504b8c-714e-4698-80d2-63b22118aa4a","status":"completed","...":"..."}',
  '',
  '',
].join('\n');

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
          'Opens a stream of Server-Sent Events: `state` (the ExecutionState) first, then the engine events of this execution (`workflow:*`, `node:*`) as they happen, and the final `state` once the run has ended; then the stream closes. A run that has already ended sends only its state. An event may repeat what the first state already shows. The 200 response lists every event type and the component `ExecutionStreamEvent` has the JSON of each.',
        security: BEARER,
        params: components.inline(IdParams),
        response: {
          200: {
            description: eventStreamDescription(),
            content: {
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description: 'SSE frames; the JSON of each is an ExecutionStreamEvent',
                },
                example: STREAM_EXAMPLE,
              },
            },
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
