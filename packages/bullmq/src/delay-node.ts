import type { DelayNodeConfig, SchemaProblem } from '@spane/core';
import { MAX_DUE_TIME_MS } from './start-checks.js';

/** The built-in node type that waits, durably, before passing its input on. */
export const DELAY_NODE = 'delay';

/**
 * What the `delay` config schema cannot say: an `until` that has the shape of an ISO-8601
 * date (the schema checks that) must also be a real one (`2030-13-01` is not), and no
 * later than BullMQ can order a delayed job by (2039-09-07, {@link MAX_DUE_TIME_MS}).
 */
export function delayConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const { until } = config;
  if (typeof until !== 'string') return [];
  const time = Date.parse(until);
  if (Number.isNaN(time)) {
    return [{ path: '/until', message: `config.until '${until}' is not a real date` }];
  }
  if (time > MAX_DUE_TIME_MS) {
    const latest = new Date(MAX_DUE_TIME_MS).toISOString();
    return [{ path: '/until', message: `config.until must be at most ${latest}` }];
  }
  return [];
}

/** When a delay node that starts waiting at `now` wakes (epoch milliseconds). */
export function delayWakeTime(config: DelayNodeConfig, now: number): number {
  if ('until' in config) return Date.parse(config.until);
  return now + config.durationMs;
}
