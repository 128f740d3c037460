/** The last time formatted, and its text (one entry: calls come in bursts within a millisecond). */
let lastMs = Number.NaN;
let lastText = '';

/**
 * A time (epoch ms, now by default) as ISO-8601 UTC text, `Date.prototype.toISOString`'s
 * form. The last answer is kept: a busy engine stamps many records within one millisecond,
 * and formatting a date costs far more than comparing a number.
 */
export function isoTime(ms: number = Date.now()): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
