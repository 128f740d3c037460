import { type BreakerOptions, NodeRegistry } from '@spane/core';

/**
 * `SPANE_HTTP_BREAKER`: the `http` node type's circuit breaker, as
 * `failureRate,minimumRuns,windowMs,openMs` (e.g. `0.5,20,60000,30000`); unset, none.
 * A problem is pushed onto `problems` (and undefined returned).
 */
export function httpBreakerConfig(
  get: (name: string) => string | undefined,
  problems: string[],
): BreakerOptions | undefined {
  const raw = get('SPANE_HTTP_BREAKER');
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((p) => p.trim());
  const numbers = parts.map((p) => (p === '' ? Number.NaN : Number(p)));
  if (parts.length !== 4 || numbers.some((n) => !Number.isFinite(n))) {
    problems.push(
      `SPANE_HTTP_BREAKER must be failureRate,minimumRuns,windowMs,openMs (e.g. 0.5,20,60000,30000), got '${raw}'`,
    );
    return undefined;
  }
  const [failureRate, minimumRuns, windowMs, openMs] = numbers as [number, number, number, number];
  const breaker = { failureRate, minimumRuns, windowMs, openMs };
  try {
    // The registry's own checks, on a throwaway registry.
    new NodeRegistry().register('http', { execute: async () => ({ success: true }) }, { breaker });
  } catch (err) {
    problems.push(`SPANE_HTTP_BREAKER: ${(err as Error).message}`);
    return undefined;
  }
  return breaker;
}
