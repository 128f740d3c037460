import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-errors.js';
import { components, errorResponses, HealthSchema, LiveSchema } from '../http-schemas.js';
import type { RouteContext } from '../route-context.js';

/**
 * Probes for orchestrators, without authentication: `/health/live` answers while the
 * process serves HTTP; `/health/ready` asks the engine (Redis, store, workers) and answers
 * 503 `NOT_READY` with the parts in `details` when any is down (`WorkflowEngine` answers at
 * once, without a ping, for a part its dependency monitor knows is down).
 */
export function healthRoutes(app: FastifyInstance, { engine }: RouteContext): void {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        operationId: 'live',
        summary: 'Liveness: the process serves HTTP',
        response: { 200: components.inline(LiveSchema) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        operationId: 'ready',
        summary: 'Readiness: Redis, the store and this process’s workers answer',
        description: '503 NOT_READY when a part is down; `error.details` has every part.',
        response: { 200: components.ref(HealthSchema), ...errorResponses() },
      },
    },
    async () => {
      const health = await engine.checkHealth();
      if (!health.ok) {
        const down = (['redis', 'store', 'workers'] as const).filter((p) => health[p] === false);
        throw new HttpError(503, 'NOT_READY', `Not ready: ${down.join(', ')} down`, {
          details: health,
          headers: { 'retry-after': '5' },
        });
      }
      return health;
    },
  );
}
