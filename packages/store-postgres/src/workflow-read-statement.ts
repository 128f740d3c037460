import { iso } from './sql.js';
import type { Tables } from './tables.js';

/**
 * Reads workflows: per read $1 tenant, $2 workflow, $3 version ('' for the current);
 * a row per read found, with its position `i` (from 1).
 */
export function workflowReadText({
  workflows,
  heads,
}: Pick<Tables, 'workflows' | 'heads'>): string {
  return `SELECT r.i, w.tenant_id, w.workflow_id, w.version, w.definition::text AS definition,
        ${iso('w.created_at', 'created_at')}
      FROM unnest($1::text[], $2::text[], $3::text[])
        WITH ORDINALITY AS r(tenant_id, workflow_id, version, i)
      JOIN ${workflows.text} AS w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id
        AND w.version = COALESCE(NULLIF(r.version, ''),
          (SELECT h.current_version FROM ${heads.text} AS h
           WHERE h.tenant_id = r.tenant_id AND h.workflow_id = r.workflow_id))`;
}
