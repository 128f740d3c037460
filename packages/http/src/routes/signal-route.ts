import type { FastifyInstance } from 'fastify';
import {
  components,
  errorResponses,
  SignalAccepted,
  SignalParams,
  SignalPayload,
} from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

const DESCRIPTION =
  "Needs the `execute` scope. Completes the execution's `wait-for-signal` node named `name` with the body (any JSON value; no body: null) as its output — at once if it waits, else when it starts waiting (the signal is kept). The first signal of a name wins: 409 SIGNAL_REJECTED (`details.reason`: `already-received`, `timed-out`, `node-finished`, `execution-finished`) when a signal came first, the wait timed out, or the node or the execution finished. 404 UNKNOWN_SIGNAL when the workflow has no wait-for-signal node of that name, 404 EXECUTION_NOT_FOUND for an execution of another tenant; 413 for a payload past the engine's maxPayloadBytes.";

/** `POST /api/executions/:id/signals/:name`: sends a signal to an execution; 202. */
export function signalRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.post<{ Params: SignalParams; Body: unknown }>(
    '/api/executions/:id/signals/:name',
    {
      onRequest: auth.require('execute'),
      schema: {
        tags: ['executions'],
        operationId: 'signalExecution',
        summary: "Send a signal: completes the execution's wait-for-signal node of that name",
        description: DESCRIPTION,
        security: BEARER,
        params: components.inline(SignalParams),
        body: components.inline(SignalPayload),
        response: { 202: components.inline(SignalAccepted), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const payload = request.body === undefined ? null : request.body;
      await engine.signal(id, name, payload, { tenantId: auth.tenantOf(request) });
      return reply.code(202).send({ executionId: id, name, accepted: true });
    },
  );
}
