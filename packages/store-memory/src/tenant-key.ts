import { DEFAULT_TENANT } from '@spane/core/store';

/** Map key of an id unique per tenant (a workflow id, an idempotency key). */
export function tenantKey(tenantId: string | undefined, id: string): string {
  return `${tenantId ?? DEFAULT_TENANT}\u0000${id}`;
}
