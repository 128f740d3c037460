import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { spaneHostCheck } from './client-errors.js';
import { guardRoute } from './dependency-gate.js';
import { EventStreams } from './event-streams.js';
import { HttpError, toHttpErrorResponse } from './http-errors.js';
import { components } from './http-schemas.js';
import { parseJsonBody } from './json-body-parser.js';
import { openApiOptions } from './openapi-document.js';
import { resolveHttpOptions, type SpaneHttpOptions } from './options.js';
import { installRateLimits } from './rate-limits.js';
import { RequestAuth } from './request-auth.js';
import { RequestTrace } from './request-trace.js';
import { strictValidatorCompiler } from './request-validation.js';
import type { RouteContext } from './route-context.js';
import { RouteTable } from './route-table.js';
import { apiKeyRoutes } from './routes/api-key-routes.js';
import { dlqRoutes } from './routes/dlq-routes.js';
import { executionEventsRoute } from './routes/execution-events-route.js';
import { executionRoutes } from './routes/execution-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoute } from './routes/metrics-route.js';
import { nodeTypeRoutes } from './routes/node-type-routes.js';
import { secretRoutes } from './routes/secret-routes.js';
import { sessionRoute } from './routes/session-route.js';
import { signalRoute } from './routes/signal-route.js';
import { statsRoute } from './routes/stats-route.js';
import { uiRoutes } from './routes/ui-routes.js';
import { webhookRoute } from './routes/webhook-route.js';
import { workflowRoutes } from './routes/workflow-routes.js';
import { SpaneMetrics } from './spane-metrics.js';
import { loadUiAssets } from './ui-assets.js';

/**
 * The SPANE REST API as a fastify plugin. It is encapsulated (not wrapped in
 * `fastify-plugin`): register it with a `prefix` to mount it anywhere, and its body
 * parsers, error handler and 404 handler apply to its routes only.
 *
 * ```ts
 * await app.register(spaneHttp, { engine, auth: { mode: 'keys', keys: ApiKeyStore.parse(env) } });
 * ```
 */
export const spaneHttp: FastifyPluginAsync<SpaneHttpOptions> = async (app, rawOptions) => {
  const options = resolveHttpOptions(rawOptions);
  const { engine } = options;
  // Read before anything is installed: a missing build fails the registration at once.
  const uiAssets = options.ui ? await loadUiAssets(options.ui.assetsDir) : undefined;
  if (options.auth.mode === 'disabled') {
    app.log.warn(
      "spane http: authentication is DISABLED (auth mode 'disabled'): every caller is an admin of tenant 'default'. Use this for local development only.",
    );
  }
  const metrics = options.metrics ? new SpaneMetrics(engine) : undefined;
  const streams = new EventStreams((n) => metrics?.sseStreams.set(n));
  const auth = new RequestAuth(options.auth);
  const ctx: RouteContext = { engine, auth, options, metrics, trace: await RequestTrace.create() };
  if (options.rateLimit) await installRateLimits(app, options.rateLimit, ctx.auth);
  const routes = new RouteTable();

  // HTTP/1.1 without Host: answered here when the host turned Node's own check off.
  app.addHook('onRequest', spaneHostCheck);
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= options.bodyLimitBytes;
    routes.add(route.url, route.method);
    guardRoute(route, engine.dependencies);
  });
  // Before the server stops: it waits for open connections, and an event stream never
  // closes by itself.
  app.addHook('preClose', async () => {
    streams.endAll();
  });
  app.addHook('onClose', async () => {
    metrics?.close();
  });
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(
        request.method,
        request.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  }

  installBodyParsers(app, options.bodyLimitBytes, options.maxJsonDepth);
  installErrorHandlers(app, routes);
  const shared = components.all();
  for (const schema of shared) app.addSchema(schema);
  // The API's own validators (strict bodies), whatever Ajv options the host has.
  app.setValidatorCompiler(strictValidatorCompiler(shared));

  if (options.docs) await app.register(swagger, openApiOptions(options.rateLimit !== false));

  workflowRoutes(app, ctx);
  nodeTypeRoutes(app, ctx);
  executionRoutes(app, ctx);
  signalRoute(app, ctx);
  executionEventsRoute(app, ctx, streams);
  dlqRoutes(app, ctx);
  secretRoutes(app, ctx);
  statsRoute(app, ctx);
  sessionRoute(app, ctx);
  webhookRoute(app, ctx);
  healthRoutes(app, ctx);
  apiKeyRoutes(app, ctx);
  if (metrics) metricsRoute(app, ctx, metrics);
  if (uiAssets) uiRoutes(app, uiAssets);
  if (components.all().length !== shared.length) {
    throw new Error('spane http: a route uses a schema component that is not registered up front');
  }

  if (options.docs) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
};

/**
 * JSON is the only body type of the API routes (anything else answers 415): nesting
 * deeper than `maxJsonDepth` and prototype-poisoning keys are refused (400), an empty
 * body counts as none.
 */
function installBodyParsers(app: FastifyInstance, bodyLimit: number, maxDepth: number): void {
  app.removeAllContentTypeParsers();
  for (const type of ['application/json', /^application\/[\w.-]+\+json$/]) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string, maxDepth));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  }
}

/** One error handler and one 404 handler, both answering `{ error: { code, message } }`. */
function installErrorHandlers(app: FastifyInstance, routes: RouteTable): void {
  app.setErrorHandler((error, request, reply) => {
    const response = toHttpErrorResponse(error);
    if (response.internal) request.log.error({ err: error }, 'request failed');
    else if (response.statusCode >= 500) request.log.warn({ err: error }, 'request failed');
    return reply.code(response.statusCode).headers(response.headers).send(response.body);
  });
  try {
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? request.url;
      const allowed = routes.allowedMethods(path);
      const error =
        allowed.length > 0
          ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, {
              details: { allowed },
              headers: { allow: allowed.join(', ') },
            })
          : new HttpError(404, 'NOT_FOUND', `Route ${request.method} ${path} not found`);
      const response = toHttpErrorResponse(error);
      return reply.code(response.statusCode).headers(response.headers).send(response.body);
    });
  } catch (err) {
    // The host already set the 404 handler of this prefix; theirs answers unknown routes.
    app.log.debug({ err }, 'spane http: keeping the existing 404 handler');
  }
}
