import {
  DEFAULT_TENANT,
  type DLQItem,
  DLQItemNotFoundError,
  ExecutionNotFoundError,
  type ExecutionStore,
  type ExecutionSummary,
  type TenantScope,
} from '@spane/core';

/** The tenant a scope names (`'default'` without one). */
export function tenantOf(scope: TenantScope | undefined): string {
  return scope?.tenantId ?? DEFAULT_TENANT;
}

/**
 * Tenancy of the engine's by-id methods: an execution or a dead-letter item of another
 * tenant is treated exactly as one that does not exist. The store looks up only the
 * scope's tenant's record (so a foreign id costs what an unknown one does); the tenant is
 * compared again here, for stores that ignore the tenant argument. Checks read the light
 * summary of an execution (never its node outputs) and the one item asked for.
 */
export class TenantGuard {
  readonly #store: Pick<ExecutionStore, 'getExecutionSummary' | 'getDLQItem'>;

  constructor(store: Pick<ExecutionStore, 'getExecutionSummary' | 'getDLQItem'>) {
    this.#store = store;
  }

  /** True when `record` belongs to the scope's tenant. */
  owns(record: { tenantId?: string } | null | undefined, scope: TenantScope | undefined): boolean {
    return record != null && (record.tenantId ?? DEFAULT_TENANT) === tenantOf(scope);
  }

  /** The execution's summary when it is the scope's tenant's, else null. */
  async summary(
    executionId: string,
    scope: TenantScope | undefined,
  ): Promise<ExecutionSummary | null> {
    const summary = await this.#store.getExecutionSummary(executionId, tenantOf(scope));
    return this.owns(summary, scope) ? summary : null;
  }

  /** @throws ExecutionNotFoundError unless the execution is the scope's tenant's. */
  async requireExecution(
    executionId: string,
    scope: TenantScope | undefined,
  ): Promise<ExecutionSummary> {
    const summary = await this.summary(executionId, scope);
    if (!summary) throw new ExecutionNotFoundError(executionId);
    return summary;
  }

  /** The dead-letter item when it is the scope's tenant's, else null. */
  async dlqItem(id: string, scope: TenantScope | undefined): Promise<DLQItem | null> {
    const item = await this.#store.getDLQItem(id, tenantOf(scope));
    return this.owns(item, scope) ? item : null;
  }

  /** @throws DLQItemNotFoundError unless the item is the scope's tenant's. */
  async requireDLQItem(id: string, scope: TenantScope | undefined): Promise<DLQItem> {
    const item = await this.dlqItem(id, scope);
    if (!item) throw new DLQItemNotFoundError(id);
    return item;
  }
}
