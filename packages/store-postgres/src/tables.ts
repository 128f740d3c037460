import { raw, type Sql } from './sql.js';

/** The store's tables, qualified with its schema (`"<schema>".<table>`). */
export interface Tables {
  /** Every saved version of every workflow. */
  workflows: Sql;
  /** The current version of each workflow. */
  heads: Sql;
  /** One row per execution. */
  executions: Sql;
  /** One row per node of an execution. */
  nodes: Sql;
  /** Log lines. */
  logs: Sql;
  /** Trace spans. */
  spans: Sql;
  /** Dead-letter items. */
  dlq: Sql;
  /** Wrapped data keys of the tenants' secrets. */
  dataKeys: Sql;
  /** Encrypted secrets. */
  secrets: Sql;
  /** Hashes of API keys created through the API. */
  apiKeys: Sql;
  /** Signals sent to executions (the first of each name). */
  signals: Sql;
}

/** The tables in `schema` (a name the store has checked: a plain identifier). */
export function qualifiedTables(schema: string): Tables {
  const q = (table: string) => raw(`"${schema}".${table}`);
  return {
    workflows: q('workflows'),
    heads: q('workflow_heads'),
    executions: q('executions'),
    nodes: q('node_states'),
    logs: q('logs'),
    spans: q('spans'),
    dlq: q('dlq'),
    dataKeys: q('secret_data_keys'),
    secrets: q('secrets'),
    apiKeys: q('api_keys'),
    signals: q('execution_signals'),
  };
}
