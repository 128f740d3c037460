import { SpaneApiError, SpaneUnreachableError } from './client-errors.js';
import type { CliIo } from './command.js';
import { EXIT, UsageError, WaitTimeoutError } from './command.js';

/**
 * Prints an error as `spane: …` on stderr and returns its exit code: usage errors (with
 * the command's help) 2; API errors `spane: CODE: message` with each issue of a rejected
 * definition as `  path: message`, 1 (3 for 502–504); no answer or `--timeout` 3;
 * anything else 1.
 */
export function reportError(err: unknown, io: CliIo): number {
  const say = (...lines: string[]) => io.stderr.write(lines.map((l) => `${l}\n`).join(''));
  if (err instanceof UsageError) {
    say(`spane: ${err.message}`);
    if (err.help) say('', err.help.trimEnd());
    return EXIT.USAGE;
  }
  if (err instanceof SpaneApiError) {
    say(`spane: ${err.code}: ${err.message}`);
    for (const issue of err.issues) {
      const warning = issue.severity === 'warning' ? ' (warning)' : '';
      say(`  ${issue.path || '/'}: ${issue.message}${warning}`);
    }
    if (err.status === 401 && !io.env.SPANE_API_KEY) {
      say('spane: set SPANE_API_KEY to an API key of the server');
    }
    return err.status >= 502 && err.status <= 504 ? EXIT.UNAVAILABLE : EXIT.FAILED;
  }
  if (err instanceof SpaneUnreachableError) {
    say(`spane: ${err.message}; is the server running? (set SPANE_URL or --url)`);
    return EXIT.UNAVAILABLE;
  }
  if (err instanceof WaitTimeoutError) {
    say(`spane: ${err.message}`);
    return EXIT.UNAVAILABLE;
  }
  say(`spane: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.FAILED;
}
