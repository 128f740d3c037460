import { type Static, Type } from '@sinclair/typebox';

/**
 * Request and response schemas of the `/api/keys` routes (plain schemas, no shared
 * components). Responses are serialised through them: a field they do not name (such as a
 * record's `hash`) never reaches the wire.
 */

const tenantId = (description: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$', description });
const Scope = Type.Union([Type.Literal('read'), Type.Literal('execute'), Type.Literal('admin')]);
const Time = Type.String({ format: 'date-time' });

export const CreateApiKeyBody = Type.Object(
  {
    scopes: Type.Array(Scope, {
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
      description: 'What the key may do; `admin` implies the others',
    }),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[^\\x00-\\x1f\\x7f]+$',
        description: 'A label for people (no control characters)',
      }),
    ),
    expiresIn: Type.Optional(
      Type.String({
        maxLength: 8,
        pattern: '^[1-9][0-9]{0,5}[mhdw]$',
        description:
          'Lifetime from now: a number and m (minutes), h, d or w, e.g. `30d`; at most 730 days',
      }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Expiry time instead of `expiresIn`; in the future, at most 730 days ahead',
      }),
    ),
    tenant: Type.Optional(
      tenantId(
        "The key's tenant; another tenant than the caller's own only with a configured admin key (403 otherwise)",
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'Without `expiresIn` and `expiresAt` the key never expires (until revoked)',
  },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ApiKeyTenantQuery = Type.Object(
  {
    tenant: Type.Optional(
      tenantId(
        "Another tenant than the caller's own: only with a configured admin key (403 otherwise)",
      ),
    ),
  },
  { additionalProperties: false },
);
export type ApiKeyTenantQuery = Static<typeof ApiKeyTenantQuery>;

export const ApiKeyIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});
export type ApiKeyIdParams = Static<typeof ApiKeyIdParams>;

const common = {
  id: Type.String({ description: 'Public id of the key, to list and revoke it' }),
  tenantId: Type.String(),
  scopes: Type.Array(Scope),
  prefix: Type.String({ description: 'The first 12 characters of the key' }),
  name: Type.Optional(Type.String()),
  createdAt: Time,
  expiresAt: Type.Optional(Time),
};

export const CreatedApiKey = Type.Object(
  {
    ...common,
    key: Type.String({
      description: 'The key itself: shown in this answer only, never again (only its hash is kept)',
    }),
  },
  { description: 'The key was created' },
);

export const ApiKeyInfo = Type.Object({
  ...common,
  revokedAt: Type.Optional(Time),
  expired: Type.Boolean({ description: 'True once `expiresAt` has passed' }),
});

export const ApiKeyList = Type.Object(
  { items: Type.Array(ApiKeyInfo) },
  { description: "The tenant's keys (revoked ones too), newest first; never a key nor its hash" },
);
