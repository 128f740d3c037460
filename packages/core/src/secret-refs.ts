/**
 * Secret references: a config value that is exactly `{ "$secret": "<name>" }` stands for
 * the value of the tenant's secret of that name. Definitions keep the reference; the
 * engine resolves it only when a node runs (or a webhook delivery is verified).
 */

import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { MAX_JSON_DEPTH } from './limits.js';
import { MAX_SECRET_NAME_LENGTH } from './secret-store.js';

/** The one key of a secret reference. */
export const SECRET_REF_KEY = '$secret';

/** What the engine writes instead of a secret's value (in logs, errors, redacted answers). */
export const SECRET_MASK = '[secret]';

const NAME = /^[A-Za-z0-9_.-]+$/;

/** JSON schema of {@link SecretRef}. */
export const SecretRefSchema = Type.Object(
  {
    $secret: Type.String({
      minLength: 1,
      maxLength: MAX_SECRET_NAME_LENGTH,
      pattern: '^[A-Za-z0-9_.-]+$',
      description: "Name of one of the tenant's secrets; resolved only when the node runs",
    }),
  },
  { additionalProperties: false },
);
/** A reference to the tenant's secret `name`: `{ "$secret": "name" }`. */
export type SecretRef = Static<typeof SecretRefSchema>;

/**
 * `schema` or a {@link SecretRef}: for config schemas whose values may come from a secret
 * (e.g. the `http` node's header values). A config schema that contains it is checked
 * with the references in place; see `validateWorkflow`.
 */
export function Secretable<T extends TSchema>(schema: T) {
  return Type.Union([schema, SecretRefSchema]);
}

/** True for a well-formed reference: an object whose only key is `$secret`, a valid name. */
export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== SECRET_REF_KEY) return false;
  const name = (value as Record<string, unknown>)[SECRET_REF_KEY];
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_SECRET_NAME_LENGTH &&
    NAME.test(name)
  );
}

/** A reference found in a value, with its JSON pointer (relative to that value). */
export interface FoundSecretRef {
  /** JSON pointer of the reference object, e.g. `/headers/authorization`. */
  path: string;
  /** The secret's name. */
  name: string;
}

/** What {@link findSecretRefs} found. */
export interface SecretRefScan {
  /** Well-formed references. */
  refs: FoundSecretRef[];
  /** Objects with a `$secret` key that are not well-formed references. */
  malformed: { path: string; message: string }[];
}

const escapeKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Every secret reference in a JSON-like value, and every malformed one (an object with a
 * `$secret` key and other keys, a name that is not a string, a bad name). Iterative, visits
 * each object once, stops descending below {@link MAX_JSON_DEPTH} and never throws (such
 * data is refused by the storable-data check).
 */
export function findSecretRefs(value: unknown): SecretRefScan {
  const scan: SecretRefScan = { refs: [], malformed: [] };
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  const seen = new Set<object>();
  try {
    while (stack.length > 0) {
      const item = stack.pop()!;
      const v = item.value;
      if (typeof v !== 'object' || v === null || item.depth > MAX_JSON_DEPTH || seen.has(v)) {
        continue;
      }
      seen.add(v);
      if (!Array.isArray(v) && Object.hasOwn(v, SECRET_REF_KEY)) {
        if (isSecretRef(v)) scan.refs.push({ path: item.path, name: v.$secret });
        else scan.malformed.push({ path: item.path, message: malformedMessage(v) });
        continue;
      }
      const entries = Array.isArray(v) ? [...v.entries()] : Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push({
          value: child,
          path: `${item.path}/${escapeKey(String(key))}`,
          depth: item.depth + 1,
        });
      }
    }
  } catch {
    // A throwing getter or proxy: not JSON data; the storable-data check reports it.
  }
  return scan;
}

function malformedMessage(v: object): string {
  const shape = `a secret reference must be exactly { "$secret": "<name>" }`;
  const keys = Object.keys(v);
  if (keys.length !== 1) return `${shape}, with no other keys (got ${keys.length} keys)`;
  const name = (v as Record<string, unknown>)[SECRET_REF_KEY];
  if (typeof name !== 'string') return `${shape}: the name must be a string`;
  return `${shape}: secret name '${name.slice(0, 140)}' must be 1-${MAX_SECRET_NAME_LENGTH} characters of A-Z a-z 0-9 _ . -`;
}

/**
 * A copy of `value` with the reference at each of `refs` (as {@link findSecretRefs}
 * found them in it) replaced by `replace(name)`; containers off those paths are shared,
 * not copied. `value` itself is not changed.
 */
export function replaceSecretRefs(
  value: unknown,
  refs: readonly FoundSecretRef[],
  replace: (name: string) => unknown,
): unknown {
  if (refs.length === 0) return value;
  const copies = new Map<object, Record<string, unknown> | unknown[]>();
  const copyOf = (container: object) => {
    let copy = copies.get(container);
    if (!copy) {
      copy = Array.isArray(container) ? [...container] : { ...container };
      copies.set(container, copy);
    }
    return copy;
  };
  let root = value;
  for (const ref of refs) {
    if (ref.path === '') {
      root = replace(ref.name);
      continue;
    }
    const keys = ref.path
      .slice(1)
      .split('/')
      .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    // Copy every container on the path (once), then set the value in the last copy.
    let original = value as Record<string, unknown>;
    let copy = copyOf(original) as Record<string, unknown>;
    root = copy;
    for (const key of keys.slice(0, -1)) {
      original = original[key] as Record<string, unknown>;
      const next = copyOf(original) as Record<string, unknown>;
      copy[key] = next;
      copy = next;
    }
    copy[keys.at(-1)!] = replace(ref.name);
  }
  return root;
}

/**
 * True when a JSON Schema describes secret references itself (somewhere it has a
 * `$secret` property, as {@link Secretable} and {@link SecretRefSchema} give): such a
 * config schema is checked with the references in place; any other with each reference
 * replaced by a placeholder string.
 */
export function describesSecretRefs(schema: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [schema];
  while (stack.length > 0) {
    const s = stack.pop();
    if (typeof s !== 'object' || s === null || seen.has(s)) continue;
    seen.add(s);
    const props = (s as Record<string, unknown>).properties;
    if (typeof props === 'object' && props !== null && Object.hasOwn(props, SECRET_REF_KEY)) {
      return true;
    }
    for (const child of Object.values(s)) stack.push(child);
  }
  return false;
}
