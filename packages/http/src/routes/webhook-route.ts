import type { FastifyInstance } from 'fastify';
import {
  components,
  ExecutionsAccepted,
  errorResponses,
  WebhookParams,
  WebhookPathParams,
} from '../http-schemas.js';
import { jsonNestingDepth, jsonTooDeepError } from '../json-body-parser.js';
import type { RouteContext } from '../route-context.js';

/** The methods a webhook trigger can name (core's `HttpMethod`), each its own operation. */
const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const DESCRIPTION =
  'Webhook paths belong to a tenant: the URL names it (`/api/webhooks/{tenant}/{path}`) and only that tenant\'s triggers match. Any content type; the raw body and the headers go to the engine. A trigger with a `secret` needs headers `x-spane-delivery` (1-128 characters of `A-Z a-z 0-9 _ - :`) and `x-spane-signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<delivery id>.<raw body>")>` with `t` within 5 minutes (else 401 INVALID_SIGNATURE); a delivery id already received on the same tenant, method and path in the last 10 minutes answers 409 DUPLICATE_DELIVERY; a malformed delivery id answers 400; 404 WEBHOOK_NOT_FOUND when no trigger of the tenant matches. The query string is passed on (initialData.query). No API key.';

/** The body as the document shows it: any bytes of any content type (not validated). */
const ANY_BODY = {
  content: { '*/*': { schema: { description: 'The payload; a signature covers these bytes' } } },
};

/**
 * A raw body the engine will parse as JSON (its content type says JSON, or it starts with
 * `{` or `[`) that is nested deeper than `maxDepth` and does parse: refused like any other
 * too-deep JSON body (400 `JSON_TOO_DEEP`). The bytes themselves go on unchanged, so that
 * a signature still covers exactly what was sent.
 * @throws HttpError
 */
function refuseTooDeepJson(body: Buffer, contentType: string | undefined, maxDepth: number): void {
  const text = body.toString('utf8').trim();
  const looksJson = /json/i.test(contentType ?? '') || text.startsWith('{') || text.startsWith('[');
  if (!looksJson || jsonNestingDepth(text, maxDepth) <= maxDepth) return;
  try {
    JSON.parse(text);
  } catch {
    return; // not JSON after all: the engine passes it on as a string
  }
  throw jsonTooDeepError(maxDepth);
}

/** `triggerWebhookPost` for `POST`, and so on. */
function operationId(method: string): string {
  return `triggerWebhook${method[0]}${method.slice(1).toLowerCase()}`;
}

/**
 * `GET|POST|PUT|PATCH|DELETE /api/webhooks/:tenant/*`: starts every workflow of the tenant
 * with a webhook trigger on that path and method (a path is unique within a tenant; the
 * same path in another tenant is another route). Registered in a context of its own whose only body parser keeps
 * the raw bytes of any content type, so the engine can check an HMAC signature over
 * exactly what was sent. Authenticated by that signature (per trigger `secret`), not by
 * API keys. One route per method, so each has its own operation in the OpenAPI document,
 * at `/api/webhooks/{tenant}/{path}` (`{path}` is the rest of the path).
 */
export function webhookRoute(app: FastifyInstance, { engine, options, trace }: RouteContext): void {
  app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
      (request, body, done) => {
        try {
          refuseTooDeepJson(body as Buffer, request.headers['content-type'], options.maxJsonDepth);
          done(null, body);
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    for (const method of WEBHOOK_METHODS) {
      hooks.route<{ Params: WebhookParams; Body: Buffer | undefined }>({
        method,
        url: '/api/webhooks/:tenant/*',
        // A HEAD would run the GET trigger's workflows.
        exposeHeadRoute: false,
        config: {
          // `/api/webhooks/{tenant}/*` (after any mount prefix) becomes `/api/webhooks/{tenant}/{path}`.
          swaggerTransform: ({ schema, url }) => ({
            url: url.replace(/\*$/, '{path}'),
            schema: {
              ...schema,
              params: components.inline(WebhookPathParams),
              ...(method === 'GET' || method === 'DELETE' ? {} : { body: ANY_BODY }),
            },
          }),
        },
        schema: {
          tags: ['webhooks'],
          operationId: operationId(method),
          summary: `Deliver a ${method} webhook: starts the tenant's workflows whose trigger matches path and method`,
          description: DESCRIPTION,
          params: components.inline(WebhookParams),
          response: { 202: components.inline(ExecutionsAccepted), ...errorResponses() },
        },
        handler: async (request, reply) => {
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          // The path after /api/webhooks/<tenant>/, with the query string (the engine puts it in initialData.query).
          const query = request.url.indexOf('?');
          const path = request.params['*'] + (query >= 0 ? request.url.slice(query) : '');
          const executionIds = await engine.triggerWebhook(
            path,
            request.method,
            body,
            trace.webhookHeaders(request.headers),
            { tenantId: request.params.tenant },
          );
          return reply.code(202).send({ executionIds });
        },
      });
    }
  });
}
