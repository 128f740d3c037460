import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { API_SCOPES, hasScope } from '../api-key-store.js';
import { components, errorResponses } from '../http-schemas.js';
import { BEARER, type RouteContext } from '../route-context.js';

/** What `GET /api/session` answers: who the caller's key is and what it may do. */
export const SessionSchema = Type.Object(
  {
    tenantId: Type.String({ description: "The key's tenant: every call is scoped to it" }),
    scopes: Type.Array(Type.Union(API_SCOPES.map((s) => Type.Literal(s))), {
      description: 'Every scope the key has in effect (`admin` includes `read` and `execute`)',
    }),
    keySource: Type.Union(
      [Type.Literal('configured'), Type.Literal('stored'), Type.Literal('disabled')],
      {
        description: '`disabled` when the server runs with auth turned off',
      },
    ),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: "The caller's key" },
);
/** The body of `GET /api/session`. */
export type Session = Static<typeof SessionSchema>;

/**
 * `GET /api/session`: the tenant and effective scopes of the key the request carries (any
 * valid key, whatever its scopes; 401 without one) — what a client such as the inspector
 * needs to show only the actions the key may take. Never the key itself.
 */
export function sessionRoute(app: FastifyInstance, { auth }: RouteContext): void {
  app.get(
    '/api/session',
    {
      onRequest: auth.authenticated(),
      schema: {
        tags: ['auth'],
        operationId: 'getSession',
        summary: "The caller's tenant and scopes",
        security: BEARER,
        response: { 200: components.inline(SessionSchema), ...errorResponses() },
      },
    },
    async (request): Promise<Session> => {
      const key = auth.keyOf(request);
      const session: Session = {
        tenantId: key.tenantId,
        scopes: API_SCOPES.filter((scope) => hasScope(key, scope)),
        keySource: key.source,
      };
      if (key.expiresAt !== undefined) session.expiresAt = key.expiresAt;
      return session;
    },
  );
}
