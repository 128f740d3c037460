/** What a hidden value reads as on the page. */
export const HIDDEN = '[secret]';

const SECRET_KEY =
  /secret|token|passw|passphrase|authorization|apikey|accesskey|credential|privatekey|cookie|signature|bearer|sessionid/;

/** Deeper than any definition the engine accepts (core's `MAX_JSON_DEPTH` is 100). */
const MAX_DEPTH = 128;

/** `{ "$secret": name }` and nothing else: a reference, which holds no value. */
function isSecretRef(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === '$secret' &&
    typeof (value as Record<string, unknown>).$secret === 'string'
  );
}

function secretName(name: unknown): boolean {
  return typeof name === 'string' && SECRET_KEY.test(name.toLowerCase().replace(/[-_. ]/g, ''));
}

/**
 * A copy of a node config (or trigger) safe to show: a `{ "$secret": name }` reference
 * stays (it names a secret, it is not one), and any other value under a key that looks like
 * a credential (`apiKey`, `client_secret`, `Authorization`, …) is replaced by
 * {@link HIDDEN}, as is the `value` of a `{ name|key: "<secret-looking>", value }` pair
 * (header lists). The API already redacts for keys without `admin`; this also covers admins.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (isSecretRef(value)) return value;
  const record = value as Record<string, unknown>;
  const pairOfSecret = 'value' in record && (secretName(record.name) || secretName(record.key));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    const named = secretName(key) || (pairOfSecret && key === 'value');
    const hide = named && !isSecretRef(v) && v !== undefined;
    out[key] = hide ? HIDDEN : redact(v, depth + 1);
  }
  return out;
}
