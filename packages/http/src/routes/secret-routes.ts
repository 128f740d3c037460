import {
  type SecretInfo,
  SecretNotFoundError,
  SecretsDisabledError,
  type SecretVault,
} from '@spane/core';
import type { FastifyInstance } from 'fastify';
import { components, errorResponses } from '../http-schemas.js';
import { BEARER, type RouteContext, refuseBody } from '../route-context.js';
import {
  SecretBody,
  type SecretInfoBody,
  SecretInfoSchema,
  SecretListQuery,
  SecretPageSchema,
  SecretParams,
} from '../secret-schemas.js';

const TAGS = ['secrets'];

/** Why `/api/secrets` answers 409 when the host gave no vault, and what to do about it. */
export const SECRETS_DISABLED_REASON =
  'this server has no secret vault. With apps/server: use a store that keeps secrets and set SPANE_MASTER_KEY (or SPANE_MASTER_KEY_FILE); when embedding @spane/http: pass `secrets: new SecretVault(store.secrets, { masterKeys })` to spaneHttp';

/** What a secret looks like in an answer: never its value, ciphertext or tenant. */
function infoOf(secret: SecretInfo): SecretInfoBody {
  return {
    name: secret.name,
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
    dataKeyVersion: secret.dataKeyVersion,
  };
}

function vaultOf(ctx: RouteContext): SecretVault {
  const vault = ctx.options.secrets;
  if (!vault) throw new SecretsDisabledError(SECRETS_DISABLED_REASON);
  return vault;
}

/**
 * `PUT /api/secrets/:name`, `GET /api/secrets`, `DELETE /api/secrets/:name`: the caller's
 * tenant's secrets, for `admin` keys only. Values go in and never come out: answers carry
 * names, timestamps and key versions. Registered whether or not a vault is configured
 * (then 409 `SECRETS_DISABLED`), so the API's shape does not depend on it.
 */
export function secretRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { auth } = ctx;
  app.put<{ Params: SecretParams; Body: SecretBody }>(
    '/api/secrets/:name',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: TAGS,
        operationId: 'putSecret',
        summary: 'Save a secret (create it, or replace its value)',
        description:
          'Needs the `admin` scope. The value is encrypted at rest (AES-256-GCM with a data key of the tenant, wrapped by the master key) and never answered back, by this or any route. 201 when the name is new, 200 when its value was replaced. Workflow definitions refer to it as `{ "$secret": "<name>" }`. 409 `SECRETS_DISABLED` when the server has no secret vault.',
        security: BEARER,
        params: components.inline(SecretParams),
        body: components.inline(SecretBody),
        response: {
          200: components.inline(SecretInfoSchema),
          201: components.inline(SecretInfoSchema),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const vault = vaultOf(ctx);
      const { name } = request.params;
      const { secret, created } = await vault.set(auth.tenantOf(request), name, request.body.value);
      if (created) {
        reply.code(201).header('location', `${app.prefix}/api/secrets/${encodeURIComponent(name)}`);
      }
      return reply.send(infoOf(secret));
    },
  );

  app.get<{ Querystring: SecretListQuery }>(
    '/api/secrets',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: TAGS,
        operationId: 'listSecrets',
        summary: "The tenant's secrets by name: names and timestamps, never values",
        description:
          'Needs the `admin` scope. Pages of `limit` (1-1000, default 100) by name; pass `nextCursor` as `cursor` for the next page.',
        security: BEARER,
        querystring: components.inline(SecretListQuery),
        response: { 200: components.inline(SecretPageSchema), ...errorResponses() },
      },
    },
    async (request) => {
      const vault = vaultOf(ctx);
      const { limit, cursor } = request.query;
      const page = await vault.list(auth.tenantOf(request), {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return {
        items: page.items.map(infoOf),
        ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      };
    },
  );

  app.delete<{ Params: SecretParams }>(
    '/api/secrets/:name',
    {
      onRequest: auth.require('admin'),
      preValidation: refuseBody,
      schema: {
        tags: TAGS,
        operationId: 'deleteSecret',
        summary: 'Delete a secret',
        description:
          'Needs the `admin` scope; takes no body. 404 `SECRET_NOT_FOUND` when the tenant has no secret of that name. Nodes that still refer to it fail when they run.',
        security: BEARER,
        params: components.inline(SecretParams),
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const vault = vaultOf(ctx);
      const { name } = request.params;
      if (!(await vault.delete(auth.tenantOf(request), name))) throw new SecretNotFoundError(name);
      return reply.code(204).send();
    },
  );
}
