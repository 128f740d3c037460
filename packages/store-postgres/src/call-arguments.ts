import { DEFAULT_TENANT, InvalidArgumentError, type TenantScope } from '@spane/core/store';
import { checkText } from './sql.js';

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

/**
 * A run token (fencing) as the statements take it: the string, or null when absent.
 * @throws InvalidArgumentError unless it is a non-empty string PostgreSQL can store.
 */
export function runTokenArgument(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError('runToken must be a non-empty string');
  }
  return checkText(value);
}
