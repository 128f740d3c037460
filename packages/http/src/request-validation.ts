import { Ajv, type Options as AjvOptions, type SchemaObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with `exports.default`: under NodeNext its default import types
// as the module object, while at run time it is the plugin function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * What both validators share, whatever the host configured for its own routes:
 * `removeAdditional: false` (an unknown field is an error, never silently dropped —
 * fastify's default Ajv drops it), defaults filled in, the first error only (`allErrors`
 * costs time an attacker chooses).
 */
const SHARED: AjvOptions = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: false,
  addUsedSchema: false,
};

/** JSON bodies carry their own types: `"5"` is not a number. */
export const BODY_AJV_OPTIONS: Readonly<AjvOptions> = Object.freeze({
  ...SHARED,
  coerceTypes: false,
});

/**
 * Query strings and path parameters are text: numbers and booleans are read from it, and
 * one `status=x` becomes `["x"]` where the schema wants an array.
 */
export const TEXT_AJV_OPTIONS: Readonly<AjvOptions> = Object.freeze({
  ...SHARED,
  coerceTypes: 'array',
});

function newAjv(options: AjvOptions, components: readonly object[]): Ajv {
  const ajv = new Ajv({ ...options });
  addFormats(ajv);
  for (const schema of components) ajv.addSchema(schema as SchemaObject);
  return ajv;
}

/**
 * The validator compiler of the API's routes (set with `setValidatorCompiler` in the
 * plugin's context, so the host's own Ajv options do not change the API's contract):
 * bodies are validated strictly ({@link BODY_AJV_OPTIONS}), query strings and parameters
 * with type coercion ({@link TEXT_AJV_OPTIONS}); both refuse unknown fields where a schema
 * says `additionalProperties: false`. `components` are the shared schemas route schemas
 * refer to (`{ $ref: "Error#" }`).
 */
export function strictValidatorCompiler(
  components: readonly object[],
): FastifySchemaCompiler<unknown> {
  const body = newAjv(BODY_AJV_OPTIONS, components);
  const text = newAjv(TEXT_AJV_OPTIONS, components);
  return ({ schema, httpPart }) =>
    (httpPart === 'body' ? body : text).compile(schema as SchemaObject);
}
