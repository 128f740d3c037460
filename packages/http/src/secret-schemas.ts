import { type Static, Type } from '@sinclair/typebox';
import { MAX_SECRET_NAME_LENGTH, MAX_SECRET_VALUE_BYTES, SECRET_PAGE } from '@spane/core';

/** Request and response schemas of `/api/secrets` (no components: each is inlined). */

const SecretName = Type.String({
  minLength: 1,
  maxLength: MAX_SECRET_NAME_LENGTH,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: 'Unique per tenant; 1-128 characters of A-Z a-z 0-9 _ . -',
});

export const SecretParams = Type.Object({ name: SecretName });
export type SecretParams = Static<typeof SecretParams>;

export const SecretBody = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      maxLength: MAX_SECRET_VALUE_BYTES,
      description: `The value, at most ${MAX_SECRET_VALUE_BYTES} bytes as UTF-8; never answered back`,
    }),
  },
  { additionalProperties: false },
);
export type SecretBody = Static<typeof SecretBody>;

export const SecretListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: SECRET_PAGE.maxLimit,
        default: SECRET_PAGE.defaultLimit,
      }),
    ),
    cursor: Type.Optional(SecretName),
  },
  { additionalProperties: false },
);
export type SecretListQuery = Static<typeof SecretListQuery>;

export const SecretInfoSchema = Type.Object(
  {
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time', description: 'When the name was first saved' }),
    updatedAt: Type.String({ format: 'date-time', description: 'When the value was last saved' }),
    dataKeyVersion: Type.Integer({
      minimum: 1,
      description: "Version of the tenant's data key that encrypts the value",
    }),
  },
  { description: 'A secret without its value' },
);
export type SecretInfoBody = Static<typeof SecretInfoSchema>;

export const SecretPageSchema = Type.Object(
  {
    items: Type.Array(SecretInfoSchema),
    nextCursor: Type.Optional(
      Type.String({ description: 'Pass as `cursor` for the next page; absent on the last one' }),
    ),
  },
  { description: "The tenant's secrets by name, without values" },
);
