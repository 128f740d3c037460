import { type EnqueueOptions, InvalidArgumentError } from '@spane/core';

/**
 * The largest job priority BullMQ takes (2^21 − 1: it refuses more with "Priority should
 * be between 0 and 2097151"). SPANE's priorities are 1 (highest) to this.
 */
export const MAX_PRIORITY = 2_097_151;

/**
 * The latest time (epoch ms) a start may be delayed to: BullMQ scores a delayed job with
 * its due time × 4096 (plus a counter), exact in a double only below 2^53, so due times
 * from 2^41 ms (2039-09-07) on lose their order.
 */
export const MAX_DUE_TIME_MS = 2 ** 41 - 1;

/** Checks a start's priority. @throws InvalidArgumentError */
export function checkPriority(priority: number | undefined): void {
  if (priority === undefined) return;
  if (!(Number.isInteger(priority) && priority >= 1 && priority <= MAX_PRIORITY)) {
    throw new InvalidArgumentError(
      `priority must be an integer from 1 (highest) to ${MAX_PRIORITY}`,
      { priority },
    );
  }
}

/**
 * The delay a start request asks for (`delayMs` or `runAt`), in whole ms from `now`.
 * @throws InvalidArgumentError
 */
export function startDelay(options: EnqueueOptions, now = Date.now()): number {
  if (options.delayMs !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError('give delayMs or runAt, not both');
  }
  let delay = 0;
  if (options.delayMs !== undefined) {
    if (typeof options.delayMs !== 'number' || !Number.isFinite(options.delayMs)) {
      throw new InvalidArgumentError('delayMs must be a non-negative number');
    }
    if (options.delayMs < 0)
      throw new InvalidArgumentError('delayMs must be a non-negative number');
    delay = Math.floor(options.delayMs);
  } else if (options.runAt !== undefined) {
    const at = options.runAt instanceof Date ? options.runAt.getTime() : Date.parse(options.runAt);
    if (Number.isNaN(at)) throw new InvalidArgumentError('runAt must be a date');
    delay = Math.max(0, Math.ceil(at - now));
  }
  if (now + delay > MAX_DUE_TIME_MS) {
    throw new InvalidArgumentError(
      `a start may be delayed to ${new Date(MAX_DUE_TIME_MS).toISOString()} at the latest`,
      { dueAt: now + delay, latest: MAX_DUE_TIME_MS },
    );
  }
  return delay;
}
