import type { FastifyInstance } from 'fastify';
import { components, errorResponses, StatsSchema } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

const DLQ_PAGE = 1000;

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
      const tenantId = auth.tenantOf(request);
      const { dlq: _allTenants, ...queue } = await engine.getQueueStats();
      let dlq = 0;
      for (let start = 0; ; start += DLQ_PAGE) {
        const page = await engine.getDLQItems(start, start + DLQ_PAGE - 1, { tenantId });
        dlq += page.length;
        if (page.length < DLQ_PAGE) break;
      }
      return { queue, dlq };
    },
  );
}
