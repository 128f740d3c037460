import {
  type ExecutionStore,
  InvalidArgumentError,
  QuotaExceededError,
  type WorkflowDefinition,
} from '@spane/core';

/**
 * A tenant's limits. A number is the most the tenant may have (0 refuses every one);
 * `Infinity` or `false` turns that quota off.
 */
export interface QuotaLimits {
  /**
   * Executions of the tenant that are `pending`, `running` or `paused` at once, counted
   * from the moment a start is accepted until the execution completes, fails or is
   * cancelled. Starts past it (`enqueueWorkflow`, `enqueueWorkflows`, webhook, event and
   * schedule triggers, replays) are refused with `QuotaExceededError`. Sub-workflow
   * children are not counted: they run within their parent's slot.
   * @defaultValue 10_000
   */
  maxActiveExecutions?: number | false;
  /** Registered workflows (re-registering one that exists is always allowed). @defaultValue 1_000 */
  maxWorkflows?: number | false;
  /**
   * Schedule triggers over all the tenant's registered workflows (a new version that does
   * not add any is always allowed). @defaultValue 100
   */
  maxSchedules?: number | false;
}

/** The `quotas` option: limits for every tenant, and overrides for some. */
export interface TenantQuotaOptions extends QuotaLimits {
  /** Per tenant id: limits that replace the ones above for that tenant (field by field). */
  tenants?: Record<string, QuotaLimits>;
}

/** A tenant's limits, resolved: `Infinity` where a quota is off. */
export interface ResolvedQuotaLimits {
  /** See {@link QuotaLimits.maxActiveExecutions}. */
  maxActiveExecutions: number;
  /** See {@link QuotaLimits.maxWorkflows}. */
  maxWorkflows: number;
  /** See {@link QuotaLimits.maxSchedules}. */
  maxSchedules: number;
}

/** The default limits of every tenant: 10,000 active executions, 1,000 workflows, 100 schedule triggers. */
export const DEFAULT_QUOTAS: Readonly<ResolvedQuotaLimits> = Object.freeze({
  maxActiveExecutions: 10_000,
  maxWorkflows: 1_000,
  maxSchedules: 100,
});

const FIELDS = ['maxActiveExecutions', 'maxWorkflows', 'maxSchedules'] as const;

const UNLIMITED: ResolvedQuotaLimits = Object.freeze({
  maxActiveExecutions: Number.POSITIVE_INFINITY,
  maxWorkflows: Number.POSITIVE_INFINITY,
  maxSchedules: Number.POSITIVE_INFINITY,
});

/** One limit: a non-negative integer, `Infinity` or `false` (off). @throws InvalidArgumentError */
function limitOf(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === false || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new InvalidArgumentError(
    `${where} must be a non-negative integer, Infinity or false (no limit)`,
    { value: String(value) },
  );
}

function resolveLimits(
  where: string,
  given: QuotaLimits,
  base: ResolvedQuotaLimits,
): ResolvedQuotaLimits {
  if (typeof given !== 'object' || given === null) {
    throw new InvalidArgumentError(`${where} must be an object`);
  }
  const out = { ...base };
  for (const field of FIELDS) out[field] = limitOf(`${where}.${field}`, given[field], base[field]);
  return out;
}

/** Every tenant's limits (see the engine's `quotas` option). */
export class TenantQuotas {
  readonly #defaults: ResolvedQuotaLimits;
  readonly #tenants = new Map<string, ResolvedQuotaLimits>();

  /** @throws InvalidArgumentError for a limit that is not a non-negative integer, Infinity or false */
  constructor(options: TenantQuotaOptions | false | undefined) {
    if (options === false) {
      this.#defaults = UNLIMITED;
      return;
    }
    this.#defaults = resolveLimits('quotas', options ?? {}, DEFAULT_QUOTAS);
    for (const [tenantId, limits] of Object.entries(options?.tenants ?? {})) {
      this.#tenants.set(
        tenantId,
        resolveLimits(`quotas.tenants.${tenantId}`, limits, this.#defaults),
      );
    }
  }

  /** The tenant's limits. */
  of(tenantId: string): ResolvedQuotaLimits {
    return this.#tenants.get(tenantId) ?? this.#defaults;
  }
}

/** How many schedule triggers a definition has. */
export function scheduleCount(definition: Pick<WorkflowDefinition, 'triggers'>): number {
  return (definition.triggers ?? []).filter((t) => t.type === 'schedule').length;
}

/**
 * Refuses the registration of `definition` in the tenant when it would pass the tenant's
 * `maxWorkflows` (a workflow id the tenant does not have yet) or `maxSchedules` (more
 * schedule triggers than the workflow's current version has).
 * @throws QuotaExceededError
 */
export async function checkRegistrationQuotas(
  store: Pick<ExecutionStore, 'listWorkflows'>,
  limits: ResolvedQuotaLimits,
  tenantId: string,
  definition: WorkflowDefinition,
): Promise<void> {
  const { maxWorkflows, maxSchedules } = limits;
  if (maxWorkflows === Number.POSITIVE_INFINITY && maxSchedules === Number.POSITIVE_INFINITY) {
    return;
  }
  const all = await store.listWorkflows({ tenantId });
  const existing = all.find((w) => w.workflowId === definition.id);
  if (!existing && all.length >= maxWorkflows) {
    throw new QuotaExceededError('workflows', maxWorkflows, all.length);
  }
  const before = existing ? scheduleCount(existing.definition) : 0;
  const added = scheduleCount(definition) - before;
  if (added <= 0) return;
  const current = all.reduce((sum, w) => sum + scheduleCount(w.definition), 0);
  if (current + added > maxSchedules) {
    throw new QuotaExceededError('schedules', maxSchedules, current, added);
  }
}
