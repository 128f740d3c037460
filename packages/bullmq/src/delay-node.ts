import type { DelayNodeConfig, SchemaProblem } from '@spane/core';

/** The built-in node type that waits, durably, before passing its input on. */
export const DELAY_NODE = 'delay';

/**
 * What the `delay` config schema cannot say: an `until` that has the shape of an ISO-8601
 * date (the schema checks that) must also be a real one (`2030-13-01` is not).
 */
export function delayConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const { until } = config;
  if (typeof until === 'string' && Number.isNaN(Date.parse(until))) {
    return [{ path: '/until', message: `config.until '${until}' is not a real date` }];
  }
  return [];
}

/** When a delay node that starts waiting at `now` wakes (epoch milliseconds). */
export function delayWakeTime(config: DelayNodeConfig, now: number): number {
  if ('until' in config) return Date.parse(config.until);
  return now + config.durationMs;
}
