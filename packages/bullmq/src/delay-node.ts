import type { ValidationIssue } from '@spane/core';
import { checkConfigObject } from './node-config-issues.js';

/** The built-in node type that waits, durably, before passing its input on. */
export const DELAY_NODE = 'delay';

/** `config` of a `delay` node: exactly one of `durationMs` and `until`. */
export interface DelayNodeConfig {
  /** Wait this long after the node starts. */
  durationMs?: number;
  /** Wait until this time (ISO-8601); a time in the past does not wait. */
  until?: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Problems of a `delay` node's config; `path` points at the node (`/nodes/<i>`). */
export function validateDelayConfig(config: unknown, path: string): ValidationIssue[] {
  const {
    issues,
    error,
    config: c,
  } = checkConfigObject(
    config,
    path,
    'delay',
    ['durationMs', 'until'],
    '{ durationMs } or { until }',
  );
  if (!c) return issues;
  const hasDuration = c.durationMs !== undefined;
  const hasUntil = c.until !== undefined;
  if (hasDuration === hasUntil) {
    error('', 'a delay node needs exactly one of durationMs and until');
  }
  if (hasDuration && !(Number.isSafeInteger(c.durationMs) && (c.durationMs as number) >= 0)) {
    error('/durationMs', 'durationMs must be a non-negative integer');
  }
  if (
    hasUntil &&
    !(typeof c.until === 'string' && ISO_DATE.test(c.until) && !Number.isNaN(Date.parse(c.until)))
  ) {
    error('/until', 'until must be an ISO-8601 date');
  }
  return issues;
}

/** When a delay node that starts waiting at `now` wakes (epoch milliseconds). */
export function delayWakeTime(config: DelayNodeConfig, now: number): number {
  if (config.until !== undefined) return Date.parse(config.until);
  return now + (config.durationMs ?? 0);
}
