import type { ApiKeyRecord } from '@spane/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkNoEscalation, expiryOf, generateApiKey } from '../api-key-issuing.js';
import {
  ApiKeyIdParams,
  ApiKeyList,
  ApiKeyTenantQuery,
  CreateApiKeyBody,
  CreatedApiKey,
} from '../api-key-schemas.js';
import { HttpError } from '../http-errors.js';
import { components, errorResponses } from '../http-schemas.js';
import type { RequestAuth } from '../request-auth.js';
import { BEARER, type RouteContext, refuseBody } from '../route-context.js';
import type { StoredApiKeys } from '../stored-api-keys.js';

const TAGS = ['keys'];

/** The error code of a 409 from the key routes when no store of keys is configured. */
export const STORED_KEYS_DISABLED = 'STORED_KEYS_DISABLED';
/** The error code of a 404 for an unknown, foreign or already revoked key id. */
export const API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND';

const TENANCY =
  "Keys of the caller's own tenant; only a configured admin key (the operator's, not one created here) may name another tenant (`tenant`), else 403.";

function storedOrConflict(auth: RequestAuth): StoredApiKeys {
  const stored = auth.storedKeys;
  if (!stored) {
    throw new HttpError(
      409,
      STORED_KEYS_DISABLED,
      'This server keeps no API keys in its store (its store has none, or authentication is off): keys come from its configuration only',
    );
  }
  return stored;
}

/** The tenant a key route acts on: the caller's own, or another for a configured key. */
function tenantFor(auth: RequestAuth, request: FastifyRequest, asked: string | undefined): string {
  const key = auth.keyOf(request);
  if (asked === undefined || asked === key.tenantId) return key.tenantId;
  if (key.source !== 'configured') {
    throw new HttpError(
      403,
      'FORBIDDEN',
      "Only a configured admin key may manage another tenant's API keys",
    );
  }
  return asked;
}

function describeKey(record: ApiKeyRecord, now: number) {
  return {
    id: record.id,
    tenantId: record.tenantId,
    scopes: record.scopes,
    prefix: record.prefix,
    ...(record.name == null ? {} : { name: record.name }),
    createdAt: record.createdAt,
    ...(record.expiresAt == null ? {} : { expiresAt: record.expiresAt }),
    ...(record.revokedAt == null ? {} : { revokedAt: record.revokedAt }),
    expired: record.expiresAt != null && !(Date.parse(record.expiresAt) > now),
  };
}

/** `POST/GET /api/keys` and `DELETE /api/keys/:id`: API keys kept in the store (admin). */
export function apiKeyRoutes(app: FastifyInstance, { auth }: RouteContext): void {
  app.post<{ Body: CreateApiKeyBody }>(
    '/api/keys',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: TAGS,
        operationId: 'createApiKey',
        summary: 'Create an API key (shown once)',
        description: `Needs the \`admin\` scope. The answer holds the key itself, the only time it is shown; the store keeps its SHA-256 hash. A key's scopes and expiry may not exceed those of the key creating it (403). ${TENANCY} 409 \`${STORED_KEYS_DISABLED}\` when the server keeps no keys in its store.`,
        security: BEARER,
        body: components.inline(CreateApiKeyBody),
        response: { 201: components.inline(CreatedApiKey), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const stored = storedOrConflict(auth);
      const { body } = request;
      const tenantId = tenantFor(auth, request, body.tenant);
      const expiresAt = expiryOf(body);
      checkNoEscalation(auth.keyOf(request), body.scopes, expiresAt);
      const generated = generateApiKey();
      const record = await stored.create({
        id: generated.id,
        tenantId,
        scopes: body.scopes,
        hash: generated.hash,
        prefix: generated.prefix,
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      const { expired: _, revokedAt: __, ...shown } = describeKey(record, Date.now());
      return reply.code(201).send({ ...shown, key: generated.key });
    },
  );

  app.get<{ Querystring: ApiKeyTenantQuery }>(
    '/api/keys',
    {
      onRequest: auth.require('admin'),
      schema: {
        tags: TAGS,
        operationId: 'listApiKeys',
        summary: "The tenant's API keys created through the API, newest first",
        description: `Needs the \`admin\` scope. Revoked and expired keys are listed too; a key and its hash never are. Configured keys are not listed. ${TENANCY}`,
        security: BEARER,
        querystring: components.inline(ApiKeyTenantQuery),
        response: { 200: components.inline(ApiKeyList), ...errorResponses() },
      },
    },
    async (request) => {
      const stored = storedOrConflict(auth);
      const tenantId = tenantFor(auth, request, request.query.tenant);
      const now = Date.now();
      return { items: (await stored.list(tenantId)).map((record) => describeKey(record, now)) };
    },
  );

  app.delete<{ Params: ApiKeyIdParams; Querystring: ApiKeyTenantQuery }>(
    '/api/keys/:id',
    {
      onRequest: auth.require('admin'),
      preValidation: refuseBody,
      schema: {
        tags: TAGS,
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key',
        description: `Needs the \`admin\` scope; takes no body. The key stops authenticating at once in this process and within the other processes' key cache time (\`auth.storedCacheMs\`, 5 s by default). 404 \`${API_KEY_NOT_FOUND}\` for an unknown key, another tenant's, or one already revoked. ${TENANCY}`,
        security: BEARER,
        params: components.inline(ApiKeyIdParams),
        querystring: components.inline(ApiKeyTenantQuery),
        response: {
          204: { type: 'null', description: 'The key was revoked' },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const stored = storedOrConflict(auth);
      const tenantId = tenantFor(auth, request, request.query.tenant);
      if (!(await stored.revoke(request.params.id, tenantId))) {
        throw new HttpError(404, API_KEY_NOT_FOUND, `API key '${request.params.id}' not found`);
      }
      return reply.code(204).send();
    },
  );
}
