import type { Static, TSchema } from '@sinclair/typebox';
import type { ExecutionContext, ExecutionResult, INodeExecutor } from './executor.js';
import type { JsonSchema, NodeTypeOptions } from './node-registry.js';

/**
 * A node type as a typed value: its name and registration options, with the TypeScript
 * types of its `config`, input and output derived from their schemas. The typed workflow
 * builder ({@link defineWorkflow}) checks each node's `config` against it at compile time.
 */

/** Key of the type-only member of {@link NodeTypeDefinition}; no value ever carries it. */
declare const nodeTypeTypes: unique symbol;

/**
 * The TypeScript type a schema describes: `Static<S>` for a TypeBox schema, `Fallback` for
 * a plain JSON Schema object or none (TypeScript cannot read a plain JSON Schema).
 */
export type SchemaStatic<S, Fallback = unknown> = S extends TSchema ? Static<S> : Fallback;

/**
 * The `config` type of a schema: as {@link SchemaStatic}, with `Record<string, unknown>` for
 * a plain JSON Schema or none, and an object type without properties made
 * `Record<string, never>` (so that a key given where none is allowed is a compile error).
 */
export type ConfigOfSchema<S> = S extends TSchema
  ? NoPropertiesAllowed<Static<S>>
  : Record<string, unknown>;

type NoPropertiesAllowed<T> = T extends object
  ? [keyof T] extends [never]
    ? Record<string, never>
    : T
  : T;

/**
 * The options of {@link defineNodeType}: every {@link NodeTypeOptions} field, with the
 * `config`, `input` and `output` schemas kept at their own types (a TypeBox schema types
 * the definition; a plain JSON Schema object is accepted and leaves that part untyped).
 */
export interface NodeTypeDefinitionOptions<
  ConfigSchema extends TSchema | JsonSchema | undefined = undefined,
  InputSchema extends TSchema | JsonSchema | undefined = undefined,
  OutputSchema extends TSchema | JsonSchema | undefined = undefined,
> extends Omit<NodeTypeOptions, 'config' | 'input' | 'output'> {
  /** JSON Schema of a node's `config`; a TypeBox schema also gives its TypeScript type. */
  config?: ConfigSchema;
  /** JSON Schema of a node's `inputData`; a TypeBox schema also gives its TypeScript type. */
  input?: InputSchema;
  /** JSON Schema of a run's output data; a TypeBox schema also gives its TypeScript type. */
  output?: OutputSchema;
}

/**
 * An executor function typed by a {@link NodeTypeDefinition}: `ctx.nodeConfig` is `Config`,
 * `ctx.inputData` is `Input`, and the result's `data` must be `Output`.
 */
export type TypedExecute<Config, Input, Output> = (
  ctx: ExecutionContext<Input, Config>,
) => Promise<ExecutionResult<Output>>;

/**
 * A node type made by {@link defineNodeType}: frozen, carrying its `type` name and the
 * `options` to register it with, and typed by its schemas. Register it with
 * `registry.register(def.type, def.executor(async (ctx) => …), def.options)`; pass it to
 * `defineWorkflow(…).node(id, def, { config })` to have each node's `config` checked.
 */
export interface NodeTypeDefinition<
  Type extends string = string,
  Config = Record<string, unknown>,
  Input = unknown,
  Output = unknown,
> {
  /** The node type name, as nodes' `type` and `registry.register` take it. */
  readonly type: Type;
  /** The registration options: schemas, description, limits (frozen). */
  readonly options: Readonly<NodeTypeOptions>;
  /**
   * Wraps an `execute` function into an executor of this type, with `ctx.nodeConfig`,
   * `ctx.inputData` and the result's `data` typed by the definition. Checks nothing at
   * run time: the engine (with the registry's schemas) does.
   */
  executor(execute: TypedExecute<Config, Input, Output>): INodeExecutor<Input, Output, Config>;
  /** Type-only: the config, input and output types (absent at run time). */
  readonly [nodeTypeTypes]?: { config: Config; input: Input; output: Output };
}

/** Any {@link NodeTypeDefinition}, whatever its types. */
export type AnyNodeTypeDefinition = NodeTypeDefinition<string, any, any, any>;

/** The `config` type of a node type: its definition's, or `Record<string, unknown>` for a type given by name. */
export type NodeConfigOf<T> =
  T extends NodeTypeDefinition<string, infer Config, any, any> ? Config : Record<string, unknown>;

/**
 * Defines a node type as a typed value. With TypeBox schemas for `config`, `input` or
 * `output`, the definition's types follow them (`Static<schema>`); a plain JSON Schema
 * object is accepted too (it is registered and checked the same way) but leaves its part
 * typed as `Record<string, unknown>` (config) or `unknown` (input, output).
 *
 * @example
 * ```ts
 * const sendEmail = defineNodeType('send-email', {
 *   description: 'Sends one email',
 *   config: Type.Object({ template: Type.String() }, { additionalProperties: false }),
 *   rateLimit: { max: 10, durationMs: 1000 },
 * });
 * registry.register(sendEmail.type, sendEmail.executor(async (ctx) => {
 *   await mailer.send(ctx.nodeConfig.template, ctx.inputData); // template: string
 *   return { success: true };
 * }), sendEmail.options);
 * ```
 * The options are checked when registered (`NodeRegistry.register`), not here.
 */
export function defineNodeType<
  const Type extends string,
  ConfigSchema extends TSchema | JsonSchema | undefined = undefined,
  InputSchema extends TSchema | JsonSchema | undefined = undefined,
  OutputSchema extends TSchema | JsonSchema | undefined = undefined,
>(
  type: Type,
  options: NodeTypeDefinitionOptions<ConfigSchema, InputSchema, OutputSchema> = {},
): NodeTypeDefinition<
  Type,
  ConfigOfSchema<ConfigSchema>,
  SchemaStatic<InputSchema>,
  SchemaStatic<OutputSchema>
> {
  type Config = ConfigOfSchema<ConfigSchema>;
  type Input = SchemaStatic<InputSchema>;
  type Output = SchemaStatic<OutputSchema>;
  const registration: NodeTypeOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (registration as Record<string, unknown>)[key] = value;
  }
  return Object.freeze({
    type,
    options: Object.freeze(registration),
    executor: (execute: TypedExecute<Config, Input, Output>) => Object.freeze({ execute }),
  });
}
