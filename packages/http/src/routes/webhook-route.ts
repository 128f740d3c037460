import type { FastifyInstance } from 'fastify';
import { components, ExecutionsAccepted, errorResponses, WebhookParams } from '../http-schemas.js';
import type { RouteContext } from '../route-context.js';

/**
 * `ANY /api/webhooks/*`: starts every workflow with a webhook trigger on that path and
 * method. Registered in a context of its own whose only body parser keeps the raw bytes
 * of any content type, so the engine can check an HMAC signature over exactly what was
 * sent. Authenticated by that signature (per trigger `secret`), not by API keys.
 */
export function webhookRoute(app: FastifyInstance, { engine, options }: RouteContext): void {
  app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
      (_request, body, done) => done(null, body),
    );
    hooks.all<{ Params: WebhookParams; Body: Buffer | undefined }>(
      '/api/webhooks/*',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'triggerWebhook',
          summary: 'Deliver a webhook: starts the workflows whose trigger matches path and method',
          description:
            'Any content type; the raw body and the headers go to the engine, which checks the HMAC signature of triggers with a `secret` (401 INVALID_SIGNATURE), refuses a repeated delivery id (409 DUPLICATE_DELIVERY) and answers 404 WEBHOOK_NOT_FOUND when no trigger matches.',
          params: components.inline(WebhookParams),
          response: { 202: components.inline(ExecutionsAccepted), ...errorResponses() },
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        // The path after /api/webhooks/, with the query string (the engine puts it in initialData.query).
        const query = request.url.indexOf('?');
        const path = request.params['*'] + (query >= 0 ? request.url.slice(query) : '');
        const executionIds = await engine.triggerWebhook(
          path,
          request.method,
          body,
          request.headers,
        );
        return reply.code(202).send({ executionIds });
      },
    );
  });
}
