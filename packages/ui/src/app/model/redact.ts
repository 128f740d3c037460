/** What a hidden value reads as on the page. */
export const HIDDEN = '[secret]';

const SECRET_KEY =
  /secret|token|passw|passphrase|authorization|apikey|accesskey|credential|privatekey|cookie|signature|bearer|sessionid/;

/**
 * A copy of a node config (or trigger) safe to show: a `{ "$secret": name }` reference
 * stays (it names a secret, it is not one), and any other value under a key that looks like
 * a credential (`apiKey`, `client_secret`, `Authorization`, …) is replaced by
 * {@link HIDDEN}. The API already redacts for keys without `admin`; this also covers admins.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const record = value as Record<string, unknown>;
  if (typeof record.$secret === 'string' && Object.keys(record).length === 1) return record;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    const isRef =
      v !== null &&
      typeof v === 'object' &&
      typeof (v as Record<string, unknown>).$secret === 'string';
    const normal = key.toLowerCase().replace(/[-_. ]/g, '');
    out[key] = SECRET_KEY.test(normal) && !isRef && v !== undefined ? HIDDEN : redact(v, depth + 1);
  }
  return out;
}
