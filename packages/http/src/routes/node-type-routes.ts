import type { FastifyInstance } from 'fastify';
import { components, errorResponses, NodeTypeList } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

/**
 * `GET /api/node-types`: the node types workflow definitions may use (the engine's
 * built-ins, then the registered ones), each with its description, the JSON Schemas of its
 * config, input and output, and its limits — for a visual builder or a client that checks
 * a definition before sending it. The same for every tenant.
 */
export function nodeTypeRoutes(app: FastifyInstance, { engine, auth }: RouteContext): void {
  app.get(
    '/api/node-types',
    {
      onRequest: auth.require('read'),
      schema: {
        tags: ['node-types'],
        operationId: 'listNodeTypes',
        summary: 'Node types a definition may use, with their config, input and output schemas',
        description:
          "A node's `config` is checked against its type's `config` schema when the workflow is registered (422 `INVALID_NODE_CONFIG` issues otherwise).",
        security: BEARER,
        response: { 200: components.inline(NodeTypeList), ...errorResponses() },
      },
    },
    async () => ({ items: engine.listNodeTypes() }),
  );
}
