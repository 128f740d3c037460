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
import { dlqItemFor } from '../stack-paths.js';

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
        description:
          'Every item has the error message; only `admin` keys also see `stack`, with paths relative to the working directory of the API process (and of `node_modules`).',
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
      // A stack names files, paths and dependency versions: for admins only, and relative.
      const withStack = auth.allows(request, 'admin');
      return { items: items.map((item) => dlqItemFor(item, withStack, process.cwd())) };
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
