import { invalidRequestError, type RequestIssue } from './http-errors.js';

/** The furthest a start may be put off through the API, by `delayMs` or `runAt`: 366 days. */
export const MAX_START_DELAY_MS = 366 * 24 * 3600 * 1000;

/** The start options of a request body, as far as this check reads them. */
interface StartOptions {
  runAt?: string | undefined;
}

/**
 * Checks that no `runAt` of a request is further ahead than {@link MAX_START_DELAY_MS}
 * (the bound `delayMs` has in the schema); `items` are the options of each start with the
 * JSON pointer of its options object (`/body/options`, `/body/3/options`).
 * @throws HttpError 400 `BAD_REQUEST` naming every `runAt` too far ahead
 */
export function checkStartTimes(
  items: readonly { options: StartOptions | undefined; path: string }[],
  now = Date.now(),
): void {
  const issues: RequestIssue[] = [];
  for (const { options, path } of items) {
    if (options?.runAt === undefined) continue;
    const at = Date.parse(options.runAt);
    if (at - now > MAX_START_DELAY_MS) {
      issues.push({
        path: `${path}/runAt`,
        message: `is more than 366 days ahead (the latest start is ${new Date(now + MAX_START_DELAY_MS).toISOString()})`,
      });
    }
  }
  if (issues.length > 0) throw invalidRequestError('body', issues);
}
