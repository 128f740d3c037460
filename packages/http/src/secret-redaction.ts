/**
 * What callers without the `admin` scope see of a workflow definition: every value that
 * may be a credential replaced by {@link REDACTED}. Definitions are the admin's input; a
 * `read` or `execute` key needs their shape, not the tokens pasted into them.
 */

/** What a redacted value reads as. */
export const REDACTED = '[secret]';

/**
 * Fragments of object keys that mark a value as secret. A key matches when, lower-cased
 * and with `-`, `_`, `.` and spaces removed, it contains one of them: `clientSecret`,
 * `X-Api-Key`, `access_token`, `Authorization`, `db.password` all do.
 */
export const SECRET_KEY_FRAGMENTS: readonly string[] = Object.freeze([
  'secret',
  'token',
  'password',
  'passwd',
  'passphrase',
  'authorization',
  'apikey',
  'accesskey',
  'credential',
  'privatekey',
  'cookie',
  'signature',
  'bearer',
  'sessionid',
]);

/** Names of the `name`/`key` field of `{ name, value }` pairs (header lists). */
const PAIR_NAME_FIELDS = ['name', 'key'] as const;

type Json = unknown;

/** True when an object key looks like it holds a secret (see {@link SECRET_KEY_FRAGMENTS}). */
export function looksSecretKey(key: string): boolean {
  const folded = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_KEY_FRAGMENTS.some((fragment) => folded.includes(fragment));
}

/** True for `{ "$secret": "<name>" }`: a reference to a stored secret, which holds no value. */
export function isSecretReference(value: Json): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === '$secret' &&
    typeof (value as Record<string, unknown>).$secret === 'string'
  );
}

/** A URL's password replaced by {@link REDACTED}; any other text unchanged. */
function redactUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:[^/?#]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = REDACTED;
    return url.href;
  } catch {
    return text;
  }
}

/**
 * `value` with every string and number under a secret-looking key (at any depth below it)
 * replaced by {@link REDACTED}; `{ "$secret": name }` references, booleans and null kept.
 * Elsewhere, the `value` of a `{ name|key: "<secret-looking>", value }` pair is redacted
 * too, and a URL's password. Returns a new value; the input is not changed.
 */
export function redactSecrets(value: Json, underSecretKey = false): Json {
  if (typeof value === 'string') {
    return underSecretKey ? REDACTED : redactUrlPassword(value);
  }
  if (typeof value === 'number') return underSecretKey ? REDACTED : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, underSecretKey));
  if (isSecretReference(value)) return value;
  const record = value as Record<string, unknown>;
  const pairName = PAIR_NAME_FIELDS.map((field) => record[field]).find(
    (name): name is string => typeof name === 'string',
  );
  const secretPair = pairName !== undefined && looksSecretKey(pairName);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(record)) {
    const secret = underSecretKey || looksSecretKey(key) || (secretPair && key === 'value');
    out[key] = redactSecrets(inner, secret);
  }
  return out;
}

/**
 * A workflow definition as a caller without `admin` may see it: node configs, metadata
 * and schedule inputs through {@link redactSecrets}, a webhook trigger's literal `secret`
 * replaced by {@link REDACTED} (a `{ "$secret": name }` reference is shown as it is).
 * Fields the engine defines (ids, edges, retry, timeouts) are kept as they are.
 */
export function redactDefinition<T>(definition: T): T {
  if (typeof definition !== 'object' || definition === null) return definition;
  const def = { ...(definition as Record<string, unknown>) };
  if (Array.isArray(def.nodes)) {
    def.nodes = def.nodes.map((node) => {
      if (typeof node !== 'object' || node === null) return node;
      const copy = { ...(node as Record<string, unknown>) };
      if ('config' in copy) copy.config = redactSecrets(copy.config);
      if ('metadata' in copy) copy.metadata = redactSecrets(copy.metadata);
      return copy;
    });
  }
  if (Array.isArray(def.triggers)) def.triggers = def.triggers.map(redactTrigger);
  if ('metadata' in def) def.metadata = redactSecrets(def.metadata);
  return def as T;
}

function redactTrigger(trigger: unknown): unknown {
  if (typeof trigger !== 'object' || trigger === null) return trigger;
  const copy = { ...(trigger as Record<string, unknown>) };
  if ('secret' in copy && !isSecretReference(copy.secret)) copy.secret = REDACTED;
  if ('initialData' in copy) copy.initialData = redactSecrets(copy.initialData);
  return copy;
}

/** A stored workflow (`{ definition, … }`) with its definition through {@link redactDefinition}. */
export function redactStoredWorkflow<T extends { definition: unknown }>(stored: T): T {
  return { ...stored, definition: redactDefinition(stored.definition) };
}
