import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';
import type { SpaneMetrics } from '../spane-metrics.js';

/**
 * `GET /metrics`: Prometheus text. Needs a key with the `read` scope (configure the scraper
 * with it); the execution counters show only the key's tenant. With auth disabled, every
 * tenant's series are shown.
 */
export function metricsRoute(
  app: FastifyInstance,
  { auth, options }: RouteContext,
  metrics: SpaneMetrics,
): void {
  app.get(
    '/metrics',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: ['health'],
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        security: BEARER,
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const tenant = options.auth.mode === 'keys' ? auth.tenantOf(request) : undefined;
      const text = await metrics.render(tenant);
      return reply.header('content-type', metrics.contentType).send(text);
    },
  );
}
