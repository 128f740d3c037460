// The select lists of the store's reads, matching the row mappers of row-mapping.ts:
// jsonb as text, timestamps as ISO-8601 UTC text (see `iso`).
import { iso, raw } from './sql.js';

const SUMMARY_COLUMNS = [
  'execution_id',
  'tenant_id',
  'workflow_id',
  'workflow_version',
  'status',
  iso('created_at'),
  iso('started_at'),
  iso('completed_at'),
  'parent_execution_id',
  'parent_node_id',
  'depth',
  'priority',
  'idempotency_key',
  'metadata::text AS metadata',
  'error',
  'version',
].join(', ');

/** An execution's columns for `toSummary`. */
export const SUMMARY = raw(SUMMARY_COLUMNS);

/** An execution's columns for `toExecution` (the summary's and the initial data). */
export const EXECUTION_COLUMNS = raw(`${SUMMARY_COLUMNS}, initial_data::text AS initial_data`);

/** A node row's columns for `toNodeState`. */
export const NODE_COLUMNS = raw(
  [
    'node_id',
    'status',
    'data::text AS data',
    'error',
    'attempts',
    iso('started_at'),
    iso('finished_at'),
    'skip_reason',
    'next_nodes::text AS next_nodes',
    'continued_on_fail',
  ].join(', '),
);

/** A workflow row's columns for `toWorkflow`. */
export const WORKFLOW_COLUMNS = raw(
  `tenant_id, workflow_id, version, definition::text AS definition, ${iso('created_at')}`,
);

/** A DLQ row's columns for `toDLQItem`. */
export const DLQ_COLUMNS = raw(
  `id, tenant_id, workflow_id, execution_id, node_id, input_data::text AS input_data, error, stack, attempts, ${iso('failed_at')}`,
);
