import type { Query } from '../api/client.js';

/** The statuses an execution list can be filtered by. */
export const EXECUTION_STATUSES = [
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;

/** The filters of the executions page, as kept in the URL (`#/executions?…`). */
export interface ExecutionFilters {
  workflowId: string;
  status: string[];
  /** `YYYY-MM-DDTHH:mm` in the browser's time zone, as a `datetime-local` input holds it. */
  createdAfter: string;
  createdBefore: string;
  cursor: string;
}

/** The filters read from the page's query (unknown statuses dropped). */
export function filtersFromQuery(query: URLSearchParams): ExecutionFilters {
  const known = new Set<string>(EXECUTION_STATUSES);
  return {
    workflowId: query.get('workflowId') ?? '',
    status: query.getAll('status').filter((s) => known.has(s)),
    createdAfter: query.get('createdAfter') ?? '',
    createdBefore: query.get('createdBefore') ?? '',
    cursor: query.get('cursor') ?? '',
  };
}

/** The page's query of some filters (the inverse of {@link filtersFromQuery}). */
export function filtersToQuery(filters: ExecutionFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.workflowId) query.set('workflowId', filters.workflowId);
  for (const s of filters.status) query.append('status', s);
  if (filters.createdAfter) query.set('createdAfter', filters.createdAfter);
  if (filters.createdBefore) query.set('createdBefore', filters.createdBefore);
  if (filters.cursor) query.set('cursor', filters.cursor);
  return query;
}

/** A `datetime-local` value (local time) as an ISO 8601 instant; '' or unparsable → undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The query of `GET /api/executions` for some filters and a page size. */
export function listQuery(filters: ExecutionFilters, limit: number): Query {
  return {
    workflowId: filters.workflowId || undefined,
    status: filters.status.length > 0 ? filters.status : undefined,
    createdAfter: localToIso(filters.createdAfter),
    createdBefore: localToIso(filters.createdBefore),
    cursor: filters.cursor || undefined,
    limit,
  };
}
