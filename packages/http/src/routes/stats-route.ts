import type { FastifyInstance } from 'fastify';
import { components, errorResponses, StatsSchema } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

/** `GET /api/stats`: the shared queue's counts and the size of the tenant's DLQ. */
export function statsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get(
    '/api/stats',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: ['stats'],
        operationId: 'getStats',
        summary: "Node jobs in the queue by state (all tenants) and the tenant's DLQ size",
        security: BEARER,
        response: { 200: components.inline(StatsSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const { dlq, ...queue } = await engine.getQueueStats({ tenantId: auth.tenantOf(request) });
      return { queue, dlq };
    },
  );
}
