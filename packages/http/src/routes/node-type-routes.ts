import type { BreakerStatus } from '@spane/core';
import type { FastifyInstance } from 'fastify';
import { components, errorResponses, NodeTypeList } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';
import { withTimeout } from '../with-timeout.js';

/**
 * `GET /api/node-types`: the node types workflow definitions may use (the engine's
 * built-ins, then the registered ones), each with its description, the JSON Schemas of its
 * config, input and output, and its limits — for a visual builder or a client that checks
 * a definition before sending it; a type with a circuit breaker also shows its state
 * (`state`, `opensUntil`), read from Redis. The same for every tenant.
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
    async () => {
      const items = engine.listNodeTypes();
      if (!items.some((t) => t.breaker)) return { items };
      // The breakers' states come from Redis: without an answer soon, the list goes without them.
      const states = await boundedStates(engine);
      return {
        items: items.map((t) =>
          t.breaker && states?.[t.type]
            ? { ...t, breaker: { ...t.breaker, ...states[t.type] } }
            : t,
        ),
      };
    },
  );
}

/** How long the list waits for the breakers' states. */
const STATES_WAIT_MS = 1_000;

/** The engine's breaker states, or null when it has none or they take too long or fail. */
function boundedStates(
  engine: RouteContext['engine'],
): Promise<Record<string, BreakerStatus> | null> {
  return engine.getBreakerStates
    ? withTimeout(engine.getBreakerStates(), STATES_WAIT_MS)
    : Promise.resolve(null);
}
