import { isIP } from 'node:net';
import type { RateLimitWindow } from '@spane/http';

/** The API's rate limits from the environment; unset limits keep `@spane/http`'s defaults. */
export type RateLimitConfig =
  | { enabled: false }
  | {
      enabled: true;
      perKey?: RateLimitWindow;
      perIp?: RateLimitWindow;
      failedAuth?: RateLimitWindow;
    };

/** `trustProxy` of fastify: off, on (any proxy), or the proxies' IPs and CIDRs. */
export type TrustProxy = boolean | string[];

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WINDOW_PATTERN = /^(\d{1,9})\/(\d{1,9})(ms|s|m|h)$/;
const MAX_WINDOW_MS = 24 * 3_600_000;

type Get = (name: string) => string | undefined;

/** `1200/60s` (also `ms`, `m`, `h`): at most 1200 requests per 60 s. */
function window(get: Get, name: string, problems: string[]): RateLimitWindow | undefined {
  const raw = get(name);
  if (raw === undefined) return undefined;
  const m = WINDOW_PATTERN.exec(raw.replaceAll(' ', ''));
  const max = Number(m?.[1]);
  const windowMs = Number(m?.[2]) * (UNIT_MS[m?.[3] ?? ''] ?? Number.NaN);
  if (!m || max < 1 || !(windowMs >= 1 && windowMs <= MAX_WINDOW_MS)) {
    problems.push(
      `${name} must look like 1200/60s (requests/window; window in ms, s, m or h, at most 24h; got '${raw}')`,
    );
    return undefined;
  }
  return { max, windowMs };
}

/** Reads `SPANE_RATE_LIMIT` (`on`, the default, or `off`) and `SPANE_RATE_LIMIT_*`. */
export function rateLimitConfig(get: Get, problems: string[]): RateLimitConfig {
  const mode = get('SPANE_RATE_LIMIT')?.toLowerCase() ?? 'on';
  if (mode !== 'on' && mode !== 'off') {
    problems.push(`SPANE_RATE_LIMIT must be 'on' (the default) or 'off' (got '${mode}')`);
  }
  const limits = {
    perKey: window(get, 'SPANE_RATE_LIMIT_PER_KEY', problems),
    perIp: window(get, 'SPANE_RATE_LIMIT_PER_IP', problems),
    failedAuth: window(get, 'SPANE_RATE_LIMIT_FAILED_AUTH', problems),
  };
  if (mode === 'off') return { enabled: false };
  const config: RateLimitConfig = { enabled: true };
  for (const [name, value] of Object.entries(limits)) {
    if (value) config[name as keyof typeof limits] = value;
  }
  return config;
}

/** Reads `SPANE_TRUST_PROXY`: unset/`false`, `true`, or comma-separated IPs/CIDRs of the proxies. */
export function trustProxyConfig(get: Get, problems: string[]): TrustProxy {
  const raw = get('SPANE_TRUST_PROXY');
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const valid = (entry: string) => {
    const [ip = '', bits, ...rest] = entry.split('/');
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    return (
      family !== 0 &&
      rest.length === 0 &&
      (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max))
    );
  };
  if (list.length === 0 || !list.every(valid)) {
    problems.push(
      `SPANE_TRUST_PROXY must be true, false or comma-separated IPs/CIDRs of the proxies (got '${raw}')`,
    );
    return false;
  }
  return list;
}
