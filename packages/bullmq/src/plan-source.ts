import type { WorkflowPlan } from '@spane/core';

/** The compiled plans of workflow versions, as every part of the engine reads them. */
export interface PlanSource {
  /** The plan of a workflow version: compiled once per process, read from the store once. */
  getPlan(tenantId: string, workflowId: string, version: string): Promise<WorkflowPlan>;
  /** The plan of a workflow version if this process has compiled it already. */
  cachedPlan(tenantId: string, workflowId: string, version: string): WorkflowPlan | undefined;
}
