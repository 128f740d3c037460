import type { WorkflowEngine } from '@spane/bullmq';
import type { FastifyInstance } from 'fastify';
import type { ServerRole } from './config.js';

/** What `GET /` answers: where to go from here. */
export interface ServiceIndex {
  service: 'spane';
  role: ServerRole;
  /** Swagger UI (API roles only). */
  docs?: string;
  /** The OpenAPI 3 document (API roles only). */
  openapi?: string;
  /** The inspector, a browser UI (API roles with `SPANE_UI` on). */
  ui?: string;
  /** Readiness probe. */
  ready: string;
  /** Liveness probe. */
  live: string;
}

/**
 * `GET /`: a small JSON index pointing at the inspector, the API docs and the health
 * probes, so that opening the server's address in a browser does not end at a bare 404.
 * No authentication.
 */
export function rootRoute(app: FastifyInstance, role: ServerRole, ui: boolean): void {
  const index: ServiceIndex =
    role === 'worker'
      ? { service: 'spane', role, ready: '/health/ready', live: '/health/live' }
      : {
          service: 'spane',
          role,
          ...(ui ? { ui: '/ui/' } : {}),
          docs: '/docs',
          openapi: '/docs/json',
          ready: '/health/ready',
          live: '/health/live',
        };
  app.get('/', async () => index);
}

/** `/health/live` and `/health/ready` for a worker-only process (no API). */
export function workerHealthRoutes(app: FastifyInstance, engine: WorkflowEngine): void {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const health = await engine.checkHealth();
    if (health.ok) return health;
    return reply.code(503).send({
      error: { code: 'NOT_READY', message: 'Not ready', details: health },
    });
  });
}
