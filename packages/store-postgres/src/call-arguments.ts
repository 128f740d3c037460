import { DEFAULT_TENANT, InvalidArgumentError, type TenantScope } from '@spane/core/store';

// Arguments of store calls as the statements take them.

/** The tenant a call is scoped to: the scope's, else the default tenant. */
export function tenantOf(scope: TenantScope | undefined): string {
  return scope?.tenantId ?? DEFAULT_TENANT;
}

/**
 * `value` itself when it is a safe integer (or undefined).
 * @throws InvalidArgumentError for any other number.
 */
export function integer(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`${what} must be an integer`);
  return value;
}
