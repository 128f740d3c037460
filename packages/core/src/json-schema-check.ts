import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { InvalidArgumentError } from './errors.js';
import { explainSchemaErrors, type SchemaProblem, type SchemaWords } from './schema-problems.js';

/**
 * A JSON Schema object (draft 2020-12; TypeBox schemas are JSON Schemas). Used for a node
 * type's `config`, `input` and `output`.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** At most this many problems are reported for one value. */
export const MAX_SCHEMA_PROBLEMS = 20;

/** A compiled JSON Schema that says, readably, how a value fails it. */
export interface JsonSchemaCheck {
  /** The schema, as given. */
  readonly schema: JsonSchema;
  /**
   * Every way `value` fails the schema (at most {@link MAX_SCHEMA_PROBLEMS}), each with a
   * JSON pointer into `value`; empty when it matches.
   */
  problems(value: unknown): SchemaProblem[];
}

/** Options of {@link compileJsonSchema}. */
export interface CompileJsonSchemaOptions {
  /** Names the schema in the error thrown when it does not compile, e.g. `config schema of node type 'x'`. */
  label: string;
  /** How messages name the checked value and its keys. @defaultValue `{ root: 'value', key: 'property' }` */
  words?: SchemaWords;
}

// One Ajv for every schema of the process: `addUsedSchema: false` keeps schemas that carry
// the same `$id` (a schema object reused under two node types) from colliding, and
// `strict: false` accepts annotation keywords of other tools (`x-…`, `examples`, TypeBox's).
const ajv = new Ajv2020({
  allErrors: true,
  verbose: true,
  strict: false,
  addUsedSchema: false,
  logger: false,
});
// ajv-formats is CommonJS: its default import is the plugin, or (under some loaders) its module.
const addFormats = ((formats as { default?: unknown }).default ?? formats) as (a: Ajv2020) => void;
addFormats(ajv);

/**
 * Compiles a JSON Schema (draft 2020-12, formats of `ajv-formats` included) once, for
 * repeated checks.
 * @throws InvalidArgumentError when `schema` is not an object or not a valid JSON Schema
 * (an unknown type, a `$ref` that does not resolve, another draft's `$schema`, …).
 */
export function compileJsonSchema(
  schema: unknown,
  options: CompileJsonSchemaOptions,
): JsonSchemaCheck {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new InvalidArgumentError(`${options.label} must be a JSON Schema object`);
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(
      `${options.label} is not a valid JSON Schema (draft 2020-12): ${why}`,
    );
  }
  const words = options.words ?? { root: 'value', key: 'property' };
  return {
    schema: schema as JsonSchema,
    problems(value: unknown): SchemaProblem[] {
      if (validate(value)) return [];
      return explainSchemaErrors(validate.errors ?? [], words).slice(0, MAX_SCHEMA_PROBLEMS);
    },
  };
}

/** Problems as one line: `/status: output.status must be an integer; …` (the first few). */
export function formatSchemaProblems(problems: readonly SchemaProblem[], max = 3): string {
  const shown = problems.slice(0, max).map((p) => `${p.path || '/'}: ${p.message}`);
  const more = problems.length > max ? ` (and ${problems.length - max} more)` : '';
  return `${shown.join('; ')}${more}`;
}

export type { SchemaProblem, SchemaWords };
