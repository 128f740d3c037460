import { DLQItemNotFoundError } from '@spane/core';
import type { FastifyInstance } from 'fastify';
import {
  components,
  DLQPage,
  DLQQuery,
  DLQRetried,
  errorResponses,
  IdParams,
} from '../http-schemas.js';
import { BEARER, type RouteContext, refuseBody } from '../route-context.js';

const TAGS = ['dlq'];

/** The dead letter queue of the caller's tenant. */
export function dlqRoutes(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get<{ Querystring: DLQQuery }>(
    '/api/dlq',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: TAGS,
        operationId: 'listDLQItems',
        summary: 'Nodes that failed for good, newest first',
        security: BEARER,
        querystring: components.inline(DLQQuery),
        response: { 200: components.inline(DLQPage), ...errorResponses() },
      },
    },
    async (request) => {
      const offset = request.query.offset ?? 0;
      const limit = request.query.limit ?? 50;
      const items = await engine.getDLQItems(offset, offset + limit - 1, {
        tenantId: auth.tenantOf(request),
      });
      return { items };
    },
  );

  app.post<{ Params: IdParams }>(
    '/api/dlq/:id/retry',
    {
      onRequest: auth.require('execute'),
      preValidation: refuseBody,
      schema: {
        tags: TAGS,
        operationId: 'retryDLQItem',
        summary: 'Run a dead-lettered node again with a fresh set of attempts',
        description:
          'Needs the `execute` scope; takes no body. The execution returns to `running` and, if the node succeeds, continues downstream. 409 when the execution is no longer failed.',
        security: BEARER,
        params: components.inline(IdParams),
        response: { 202: components.inline(DLQRetried), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const scope = { tenantId: auth.tenantOf(request) };
      const item = await engine.getDLQItem(request.params.id, scope);
      if (!item) throw new DLQItemNotFoundError(request.params.id);
      await engine.retryDLQItem(item.id, scope);
      return reply.code(202).send({ id: item.id, executionId: item.executionId });
    },
  );
}
