import {
  DEFAULT_TENANT,
  type StoredWorkflow,
  type TenantScope,
  type WorkflowPlan,
} from '@spane/core/store';
import { copy } from './json-copy.js';
import { tenantKey } from './tenant-key.js';

interface WorkflowRecord {
  versions: StoredWorkflow[];
  /** The version `getWorkflow` returns without one; null once the workflow is deleted. */
  current: string | null;
}

/** Workflow definitions of every tenant, each with every version saved. */
export class MemoryWorkflows {
  readonly #workflows = new Map<string, WorkflowRecord>();
  readonly #now: () => string;

  /** @param now - the time, as ISO-8601 text, a new version is stamped with. */
  constructor(now: () => string) {
    this.#now = now;
  }

  /** Stores the plan's version unless stored already, and makes it current. */
  save(plan: WorkflowPlan, scope: TenantScope): { workflow: StoredWorkflow; created: boolean } {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const k = tenantKey(tenantId, plan.workflowId);
    let record = this.#workflows.get(k);
    if (!record) {
      record = { versions: [], current: null };
      this.#workflows.set(k, record);
    }
    let stored = record.versions.find((v) => v.version === plan.version);
    const created = !stored;
    if (!stored) {
      stored = {
        tenantId,
        workflowId: plan.workflowId,
        version: plan.version,
        definition: copy(plan.definition),
        createdAt: this.#now(),
      };
      record.versions.push(stored);
    }
    record.current = plan.version;
    return { workflow: copy(stored), created };
  }

  /** The given version, or the current one. */
  get(workflowId: string, options: TenantScope & { version?: string }): StoredWorkflow | null {
    const record = this.#workflows.get(tenantKey(options.tenantId, workflowId));
    if (!record) return null;
    const version = options.version ?? record.current;
    if (version === null) return null;
    const stored = record.versions.find((v) => v.version === version);
    return stored ? copy(stored) : null;
  }

  /** The current version of each workflow not deleted, by tenant then workflow id. */
  list(scope: TenantScope & { allTenants?: boolean }): StoredWorkflow[] {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const out: StoredWorkflow[] = [];
    for (const record of this.#workflows.values()) {
      const current = record.versions.find((v) => v.version === record.current);
      if (current && (scope.allTenants || current.tenantId === tenantId)) out.push(copy(current));
    }
    const order = (w: StoredWorkflow) => `${w.tenantId}\u0000${w.workflowId}`;
    return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  /** Every version saved, in the order saved (a deleted workflow's too). */
  versions(workflowId: string, scope: TenantScope): StoredWorkflow[] {
    return copy(this.#workflows.get(tenantKey(scope.tenantId, workflowId))?.versions ?? []);
  }

  /** Makes no version current; false when none was. */
  delete(workflowId: string, scope: TenantScope): boolean {
    const record = this.#workflows.get(tenantKey(scope.tenantId, workflowId));
    if (!record || record.current === null) return false;
    record.current = null;
    return true;
  }
}
