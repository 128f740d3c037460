import type { FastifyInstance } from 'fastify';
import { components, errorResponses, StatsSchema } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

/**
 * `GET /api/stats`: the shared queue's counts, the size of the tenant's DLQ and the count
 * of live and stuck worker processes (no host or pid: those are the operator's).
 */
export function statsRoute(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get(
    '/api/stats',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: ['stats'],
        operationId: 'getStats',
        summary:
          "Node jobs in the queue by state (all tenants), the tenant's DLQ size, live workers",
        security: BEARER,
        response: { 200: components.inline(StatsSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const stats = await engine.getQueueStats({ tenantId: auth.tenantOf(request) });
      const { dlq, workers, ...queue } = stats;
      return workers
        ? { queue, dlq, workers: { live: workers.live, stuck: workers.stuck } }
        : { queue, dlq };
    },
  );
}
