import { type CommandContext, EXIT, WaitTimeoutError } from './command.js';
import type { ExecutionProgress } from './execution-progress.js';
import { completeReport, outcomeLines, reportJson } from './execution-report.js';
import { writeJson, writeLines } from './output.js';
import { ProgressLine } from './progress-line.js';
import { watchExecution } from './watch-execution.js';

/** How often the progress line is drawn again: its clock on a terminal, the last change in a log. */
const TICK_MS = 200;
const LOG_TICK_MS = 1000;

/**
 * Waits for an execution to end with a progress line on stderr (`running 3/7 nodes · 1.2s`,
 * updated in place on a terminal, a line per change elsewhere), then prints the outcome:
 * status, time, output or errors (with `--json`, one JSON object). Resolves to the exit
 * code: 0 completed, 1 failed or cancelled.
 * @throws WaitTimeoutError when `timeoutSeconds` ran out first
 */
export async function waitAndReport(
  ctx: CommandContext,
  executionId: string,
  timeoutSeconds: number | undefined,
): Promise<number> {
  const line = new ProgressLine(ctx.io.stderr);
  const started = Date.now();
  let latest: ExecutionProgress | undefined;
  const render = () => {
    if (latest) line.show(latest.describe(Date.now() - started), latest.describe());
  };
  const ticker = setInterval(render, line.live ? TICK_MS : LOG_TICK_MS);
  const deadline = new AbortController();
  const timer =
    timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => {
          const where = latest ? `; it was ${latest.describe()}` : '';
          deadline.abort(
            new WaitTimeoutError(
              `timed out after ${timeoutSeconds}s waiting for execution ${executionId}${where} (it goes on)`,
            ),
          );
        }, timeoutSeconds * 1000);
  try {
    const state = await watchExecution(ctx.client, executionId, {
      signal: deadline.signal,
      onChange: (progress) => {
        latest = progress;
        render();
      },
    });
    line.clear();
    const report = await completeReport(ctx.client, state);
    if (ctx.json) writeJson(ctx.io.stdout, reportJson(report));
    else writeLines(ctx.io.stdout, ...outcomeLines(report));
    return state.status === 'completed' ? EXIT.OK : EXIT.FAILED;
  } finally {
    line.clear();
    clearInterval(ticker);
    clearTimeout(timer);
  }
}
