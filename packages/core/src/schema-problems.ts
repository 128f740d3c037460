import type { ErrorObject } from 'ajv/dist/2020.js';

/** One way a value fails a JSON Schema. */
export interface SchemaProblem {
  /** JSON pointer into the checked value (`''` for the value itself). */
  path: string;
  /** What is wrong, for people (e.g. `unknown option 'pik'`, `'url' is required`). */
  message: string;
}

/** How messages name the checked value and its keys. */
export interface SchemaWords {
  /** The value's name in messages, e.g. `config` (`config.url must be a string`). */
  root: string;
  /** What a key of the value is called: `unknown option 'pik'`. */
  key: string;
}

type JsonObject = Record<string, unknown>;

/**
 * Keywords that fail a union branch at the union's own value: that branch describes a
 * different kind of value (an object with other keys, another type, another constant),
 * rather than the right kind with something wrong inside.
 */
const SHAPE_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'required',
  'additionalProperties',
  'unevaluatedProperties',
  'const',
  'enum',
  'anyOf',
  'oneOf',
  'false schema',
]);

/**
 * Turns Ajv's errors (from a validator compiled with `allErrors` and `verbose`) into
 * readable problems. A failed union (`anyOf` / `oneOf`) gives the problems of the branch
 * the value came closest to (a branch whose errors all lie inside the value), or one
 * message listing the alternatives when no branch came close.
 */
export function explainSchemaErrors(
  errors: readonly ErrorObject[],
  words: SchemaWords,
): SchemaProblem[] {
  const seen = new Set<string>();
  return explain(errors, words).filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function explain(errors: readonly ErrorObject[], words: SchemaWords): SchemaProblem[] {
  const unions = errors.filter(isUnion);
  const outer = unions.filter((u) => !unions.some((o) => o !== u && branchOf(u, o) !== undefined));
  const problems: SchemaProblem[] = [];
  for (const e of errors) {
    if (outer.includes(e)) problems.push(...explainUnion(e, errors, words));
    else if (!outer.some((u) => branchOf(e, u) !== undefined)) {
      const p = explainOne(e, words);
      if (p) problems.push(p);
    }
  }
  return problems;
}

function isUnion(e: ErrorObject): boolean {
  return e.keyword === 'anyOf' || e.keyword === 'oneOf';
}

/** The index of the branch of `union` that reported `e`, or undefined when `e` is not one of its. */
function branchOf(e: ErrorObject, union: ErrorObject): number | undefined {
  const prefix = `${union.schemaPath}/`;
  if (e === union || !e.schemaPath.startsWith(prefix)) return undefined;
  if (!within(e.instancePath, union.instancePath)) return undefined;
  const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
  return Number.isInteger(index) ? index : undefined;
}

function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function explainUnion(
  union: ErrorObject,
  errors: readonly ErrorObject[],
  words: SchemaWords,
): SchemaProblem[] {
  const branches = Array.isArray(union.schema) ? (union.schema as unknown[]) : [];
  const at = union.instancePath;
  if (union.keyword === 'oneOf' && Array.isArray(union.params.passingSchemas)) {
    const message = `${subject(at, words)} matches more than one of ${alternatives(branches)}`;
    return [{ path: at, message }];
  }
  const close = branches
    .map((_, i) => errors.filter((e) => branchOf(e, union) === i))
    .filter(
      (errs) =>
        errs.length > 0 &&
        !errs.some((e) => e.instancePath === at && SHAPE_KEYWORDS.has(e.keyword)),
    )
    .sort((a, b) => a.length - b.length);
  if (close[0]) return explain(close[0], words);
  return [{ path: at, message: `${subject(at, words)} must be ${alternatives(branches)}` }];
}

/** The problem one (non-union) error stands for; undefined for errors said elsewhere. */
function explainOne(e: ErrorObject, words: SchemaWords): SchemaProblem | undefined {
  const at = e.instancePath;
  const p = e.params as JsonObject;
  const name = subject(at, words);
  const where = at === '' ? '' : ` in ${name}`;
  switch (e.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(p.additionalProperty ?? p.unevaluatedProperty);
      const noun = at === '' ? words.key : 'property';
      return { path: `${at}/${escapePointer(key)}`, message: `unknown ${noun} '${key}'${where}` };
    }
    case 'required':
      return { path: at, message: `'${String(p.missingProperty)}' is required${where}` };
    case 'dependentRequired':
      return {
        path: at,
        message: `'${String(p.missingProperty)}' is required with '${String(p.property)}'${where}`,
      };
    case 'propertyNames': {
      const key = String(p.propertyName);
      return {
        path: `${at}/${escapePointer(key)}`,
        message: `key '${key}' is not allowed${where}`,
      };
    }
    case 'if':
      return undefined; // its `then` / `else` errors say what is wrong
    default:
      // The errors of a key checked by `propertyNames` are said by its `propertyNames` error.
      if ((e as { propertyName?: string }).propertyName !== undefined) return undefined;
      return { path: at, message: `${name} ${requirement(e, p)}` };
  }
}

/** What a value failing `e` must be or do, e.g. `must be >= 0`. */
function requirement(e: ErrorObject, p: JsonObject): string {
  const limit = p.limit as number;
  switch (e.keyword) {
    case 'type':
      return `must be ${String(p.type).split(',').map(typeName).join(' or ')}`;
    case 'const':
      return `must be ${show(p.allowedValue)}`;
    case 'enum':
      return `must be ${oneOf((p.allowedValues as unknown[]).map(show))}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${limit}`;
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`;
    case 'maxLength':
      return `must be at most ${limit} characters long`;
    case 'minItems':
      return `must have at least ${count(limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${count(limit, 'item')}`;
    case 'minProperties':
      return `must have at least ${count(limit, 'key')}`;
    case 'maxProperties':
      return `must have at most ${count(limit, 'key')}`;
    case 'pattern': {
      const description = (e.parentSchema as JsonObject | undefined)?.description;
      return typeof description === 'string'
        ? `is not valid (${description})`
        : `must match the pattern ${String(p.pattern)}`;
    }
    case 'format':
      return `must be a valid ${String(p.format)}`;
    case 'multipleOf':
      return `must be a multiple of ${String(p.multipleOf)}`;
    case 'uniqueItems': {
      const [a, b] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
      return `must not repeat an item (items ${a} and ${b} are equal)`;
    }
    case 'false schema':
      return 'is not allowed';
    default:
      return e.message ?? `fails '${e.keyword}' (${e.schemaPath})`;
  }
}

/** The alternatives of a union, for a message: `either { durationMs } or { until }`. */
function alternatives(branches: readonly unknown[]): string {
  const constants = branches.map(constantsOf);
  if (constants.every((c) => c !== undefined)) return oneOf(constants.flat().map(show));
  const shapes = branches.map(describe);
  return shapes.length === 2 ? `either ${shapes[0]} or ${shapes[1]}` : oneOf(shapes);
}

function constantsOf(schema: unknown): unknown[] | undefined {
  if (!isObject(schema)) return undefined;
  if ('const' in schema) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

/** A short picture of the value a schema describes: `{ url, method? }`, `a string`. */
function describe(schema: unknown): string {
  if (schema === true) return 'anything';
  if (!isObject(schema)) return 'nothing';
  const constants = constantsOf(schema);
  if (constants) return oneOf(constants.map(show));
  if (isObject(schema.properties)) {
    const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
    const keys = Object.keys(schema.properties);
    const listed = required.length > 0 ? required : keys.map((k) => `${k}?`);
    return listed.length > 0 ? `{ ${listed.join(', ')} }` : 'an object';
  }
  if (typeof schema.type === 'string') return typeName(schema.type);
  if (Array.isArray(schema.type)) return schema.type.map(String).map(typeName).join(' or ');
  return typeof schema.title === 'string' ? schema.title : 'another value';
}

function typeName(type: string): string {
  if (type === 'null') return 'null';
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function oneOf(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? 'nothing';
  return `one of ${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** The value at `pointer` as messages name it: `config`, `config.url`, `config.pick[0]`. */
function subject(pointer: string, words: SchemaWords): string {
  let name = words.root;
  if (pointer === '') return name;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(key)) name += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) name += `.${key}`;
    else name += `[${JSON.stringify(key)}]`;
  }
  return name;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
