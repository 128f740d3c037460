import type { QuotaLimits, TenantQuotaOptions } from '@spane/bullmq';

type Get = (name: string) => string | undefined;

/** The environment variable of each quota, and its name in the engine's `quotas` option. */
const QUOTA_VARS: readonly [keyof QuotaLimits, string][] = [
  ['maxActiveExecutions', 'SPANE_QUOTA_ACTIVE_EXECUTIONS'],
  ['maxWorkflows', 'SPANE_QUOTA_WORKFLOWS'],
  ['maxSchedules', 'SPANE_QUOTA_SCHEDULES'],
];

const MAX_QUOTA = 1_000_000_000;

/** A quota's value: an integer from 0, or `off` (no limit). */
function quota(raw: string): number | false | undefined {
  if (raw.toLowerCase() === 'off') return false;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > MAX_QUOTA) return undefined;
  return Number(raw);
}

/** One tenant's limits of `SPANE_QUOTA_TENANTS`, or undefined when they are not valid. */
function tenantLimits(value: unknown): QuotaLimits | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const limits: QuotaLimits = {};
  for (const [field, v] of Object.entries(value)) {
    if (!QUOTA_VARS.some(([name]) => name === field)) return undefined;
    const ok = v === false || (Number.isSafeInteger(v) && (v as number) >= 0);
    if (!ok) return undefined;
    limits[field as keyof QuotaLimits] = v as number | false;
  }
  return limits;
}

/**
 * Reads the per-tenant quotas: `SPANE_QUOTA_ACTIVE_EXECUTIONS`, `SPANE_QUOTA_WORKFLOWS`,
 * `SPANE_QUOTA_SCHEDULES` (each an integer from 0, or `off`; unset keeps the engine's
 * default) and `SPANE_QUOTA_TENANTS` (JSON: tenant id → its own limits, e.g.
 * `{"acme":{"maxActiveExecutions":50000}}`, a limit `false` for none).
 */
export function quotaConfig(get: Get, problems: string[]): TenantQuotaOptions {
  const config: TenantQuotaOptions = {};
  for (const [field, name] of QUOTA_VARS) {
    const raw = get(name);
    if (raw === undefined) continue;
    const value = quota(raw);
    if (value === undefined) {
      problems.push(`${name} must be an integer from 0 to ${MAX_QUOTA}, or 'off' (got '${raw}')`);
    } else {
      config[field] = value;
    }
  }
  const tenantsRaw = get('SPANE_QUOTA_TENANTS');
  if (tenantsRaw === undefined) return config;
  const problem =
    'SPANE_QUOTA_TENANTS must be a JSON object: tenant id → { maxActiveExecutions?, maxWorkflows?, maxSchedules? }, each an integer from 0 or false';
  let parsed: unknown;
  try {
    parsed = JSON.parse(tenantsRaw);
  } catch {
    problems.push(problem);
    return config;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(problem);
    return config;
  }
  const tenants: Record<string, QuotaLimits> = {};
  for (const [tenantId, value] of Object.entries(parsed)) {
    const limits = tenantLimits(value);
    if (limits === undefined) {
      problems.push(`${problem} (tenant '${tenantId}' is not)`);
      return config;
    }
    tenants[tenantId] = limits;
  }
  config.tenants = tenants;
  return config;
}
