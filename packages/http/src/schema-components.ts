import { type Static, type TSchema, Type } from '@sinclair/typebox';

type JsonObject = Record<string, unknown>;

/**
 * Turns TypeBox schemas into plain JSON Schemas for fastify: every nested schema that
 * carries a `$id` (core's `NodeDefinition`, `RetryPolicy`, `ExecutionState`, …) becomes a
 * shared component, referenced as `{ $ref: "<id>#" }`. fastify validates and serialises
 * with the components (added once with `addSchema`), and `@fastify/swagger` emits them as
 * `components.schemas`. Embedding the same `$id` twice in one schema (core's
 * `RetryPolicy` sits in both a node and `defaults`) would otherwise be refused by Ajv.
 */
export class SchemaComponents {
  readonly #components = new Map<string, JsonObject>();

  /** A reference to `schema` (which must have a `$id`), registering it and what it embeds. */
  ref<T extends TSchema>(schema: T): T {
    const id = schema.$id;
    if (typeof id !== 'string') throw new Error('SchemaComponents.ref needs a schema with $id');
    this.#register(id, schema);
    return Type.Unsafe<Static<T>>({ $ref: `${id}#` }) as unknown as T;
  }

  /** `schema` as plain JSON, with its nested `$id` schemas replaced by references. */
  inline<T extends TSchema>(schema: T): T {
    return this.#convert(schema, true) as T;
  }

  /** Every registered component, to pass to `fastify.addSchema`. */
  all(): JsonObject[] {
    return [...this.#components.values()];
  }

  #register(id: string, schema: unknown): void {
    if (this.#components.has(id)) return;
    // Reserve the id first, so a schema that refers to itself terminates.
    this.#components.set(id, {});
    this.#components.set(id, this.#convert(schema, true) as JsonObject);
  }

  #convert(node: unknown, isRoot: boolean): unknown {
    if (Array.isArray(node)) return node.map((n) => this.#convert(n, false));
    if (typeof node !== 'object' || node === null) return node;
    const obj = node as JsonObject;
    if (!isRoot && typeof obj.$id === 'string') {
      this.#register(obj.$id, obj);
      return { $ref: `${obj.$id}#` };
    }
    const out: JsonObject = {};
    // Object.entries leaves out TypeBox's symbol keys (Kind, Optional).
    for (const [key, value] of Object.entries(obj)) out[key] = this.#convert(value, false);
    return out;
  }
}
