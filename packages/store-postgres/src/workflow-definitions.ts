import type { WorkflowPlan } from '@spane/core';
import type { StoredWorkflow, TenantScope } from '@spane/core/store';
import type { Batcher } from './batcher.js';
import { tenantOf } from './call-arguments.js';
import { WORKFLOW_COLUMNS } from './columns.js';
import type { Database, Row } from './db.js';
import type { HotStatements } from './hot-statements.js';
import { toWorkflow } from './row-mapping.js';
import { checkText, json, NOW, raw, sql } from './sql.js';
import type { Tables } from './tables.js';
import { BEGIN, COMMIT } from './transaction-statements.js';

// Workflow definitions: saved versions, the current version of each workflow (its head).

/** What the workflow operations use. */
export interface WorkflowContext {
  db: Database;
  tables: Pick<Tables, 'workflows' | 'heads'>;
  /** `getWorkflow` calls in flight together, read by one statement (see {@link readWorkflows}). */
  workflowReads: Batcher<string, Row | undefined>;
}

/** What {@link readWorkflows} uses. */
export interface WorkflowReadContext {
  db: Database;
  statements: Pick<HotStatements, 'workflows'>;
}

/**
 * Reads a batch of `getWorkflow` calls — each the tenant, workflow and version (or '' for
 * the current) joined by U+0000 — with one statement; a row (or undefined) per call.
 */
export async function readWorkflows(
  ctx: WorkflowReadContext,
  batch: readonly string[],
): Promise<(Row | undefined)[]> {
  const keys = [...new Set(batch)].map((k) => k.split('\u0000'));
  const rows = await ctx.db.prepared(
    ctx.statements.workflows,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
    true,
  );
  const found = new Map<string, Row>();
  for (const row of rows) found.set(keys[Number(row.i) - 1]!.join('\u0000'), row);
  return batch.map((k) => found.get(k));
}

/** `ExecutionStore.saveWorkflow`: stores the version (once) and makes it current. */
export async function saveWorkflow(
  ctx: WorkflowContext,
  plan: WorkflowPlan,
  scope?: TenantScope,
): Promise<{ workflow: StoredWorkflow; created: boolean }> {
  const { workflows, heads } = ctx.tables;
  const tenantId = tenantOf(scope);
  const key = sql`tenant_id = ${tenantId} AND workflow_id = ${plan.workflowId}`;
  const definition = json(plan.definition, 'workflow definition');
  // The insert waits for a concurrent insert of the same version and then does nothing;
  // the following SELECT is a new statement, so it sees whichever row won.
  const [, inserted, , stored] = await ctx.db.write([
    BEGIN,
    sql`WITH ins AS (
            INSERT INTO ${workflows} (tenant_id, workflow_id, version, definition, created_at)
            VALUES (${tenantId}, ${plan.workflowId}, ${plan.version}, ${definition}, ${NOW})
            ON CONFLICT DO NOTHING RETURNING 1)
          SELECT count(*)::int AS created FROM ins`,
    sql`INSERT INTO ${heads} (tenant_id, workflow_id, current_version)
          VALUES (${tenantId}, ${plan.workflowId}, ${plan.version})
          ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET current_version = EXCLUDED.current_version`,
    sql`SELECT ${WORKFLOW_COLUMNS} FROM ${workflows} WHERE ${key} AND version = ${plan.version}`,
    COMMIT,
  ]);
  return { workflow: toWorkflow(stored![0]!), created: inserted![0]!.created === 1 };
}

/** `ExecutionStore.getWorkflow`: a version, or the current one; null when missing. */
export async function getWorkflow(
  ctx: WorkflowContext,
  workflowId: string,
  options: TenantScope & { version?: string } = {},
): Promise<StoredWorkflow | null> {
  // Calls in flight together are answered by one query (many executions of one
  // workflow starting at once read it once).
  const row = await ctx.workflowReads.add(
    [
      checkText(tenantOf(options)),
      checkText(workflowId),
      options.version === undefined ? null : checkText(options.version),
    ].join('\u0000'),
  );
  return row ? toWorkflow(row) : null;
}

/** `ExecutionStore.listWorkflows`: the current version of each workflow not deleted. */
export async function listWorkflows(
  ctx: WorkflowContext,
  scope?: TenantScope & { allTenants?: boolean },
): Promise<StoredWorkflow[]> {
  const { workflows, heads } = ctx.tables;
  const tenantFilter = scope?.allTenants ? raw('TRUE') : sql`h.tenant_id = ${tenantOf(scope)}`;
  const [rows] = await ctx.db.read(
    sql`SELECT ${WORKFLOW_COLUMNS} FROM ${workflows} w
          JOIN ${heads} h USING (tenant_id, workflow_id)
          WHERE ${tenantFilter} AND w.version = h.current_version
          ORDER BY tenant_id COLLATE "C", workflow_id COLLATE "C"`,
  );
  return rows!.map(toWorkflow);
}

/** `ExecutionStore.listWorkflowVersions`: every saved version, oldest first. */
export async function listWorkflowVersions(
  ctx: WorkflowContext,
  workflowId: string,
  scope?: TenantScope,
): Promise<StoredWorkflow[]> {
  const [rows] = await ctx.db.read(
    sql`SELECT ${WORKFLOW_COLUMNS} FROM ${ctx.tables.workflows}
          WHERE tenant_id = ${tenantOf(scope)} AND workflow_id = ${workflowId} ORDER BY seq`,
  );
  return rows!.map(toWorkflow);
}

/** `ExecutionStore.deleteWorkflow`: clears the head (the versions stay); false when none. */
export async function deleteWorkflow(
  ctx: WorkflowContext,
  workflowId: string,
  scope?: TenantScope,
): Promise<boolean> {
  const [rows] = await ctx.db.write([
    sql`UPDATE ${ctx.tables.heads} SET current_version = NULL
          WHERE tenant_id = ${tenantOf(scope)} AND workflow_id = ${workflowId}
            AND current_version IS NOT NULL
          RETURNING 1 AS deleted`,
  ]);
  return rows!.length === 1;
}
