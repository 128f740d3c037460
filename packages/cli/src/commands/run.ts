import { type Command, EXIT, UsageError } from '../command.js';
import { parseJson, positiveNumber, readJsonFile } from '../json-input.js';
import { writeJson, writeLines } from '../output.js';
import { waitAndReport } from '../wait-and-report.js';

/** `spane run <workflowId>`: starts an execution, and with `--wait` follows it to its end. */
export const runCommand: Command = {
  name: 'run',
  summary: 'Start an execution of a workflow; --wait follows it to its end',
  description:
    'Prints the execution id. With --wait, a progress line on stderr follows the run\n' +
    '("running 3/7 nodes · 1.2s"), then the outcome and output are printed; the exit\n' +
    'code is 0 when it completed, 1 when it failed or was cancelled, 3 on --timeout\n' +
    '(the execution goes on).',
  args: [{ name: 'workflowId', description: 'the workflow to run (its current version)' }],
  options: {
    data: { type: 'string', value: '<json>', description: 'initial data, as JSON' },
    'data-file': {
      type: 'string',
      value: '<path>',
      description: 'initial data from a JSON file (- reads stdin)',
    },
    wait: { type: 'boolean', short: 'w', description: 'follow the execution until it ends' },
    timeout: {
      type: 'string',
      value: '<seconds>',
      description: 'with --wait: give up waiting after this long (exit 3)',
    },
  },
  async run(ctx, { args, options }) {
    const { data, 'data-file': dataFile, wait, timeout } = options as Record<string, string>;
    if (data !== undefined && dataFile !== undefined) {
      throw new UsageError('give --data or --data-file, not both');
    }
    if (timeout !== undefined && !wait) throw new UsageError('--timeout needs --wait');
    const timeoutSeconds = timeout === undefined ? undefined : positiveNumber(timeout, 'timeout');
    const initialData =
      data !== undefined
        ? parseJson(data, '--data')
        : dataFile !== undefined
          ? await readJsonFile(ctx.io, dataFile)
          : undefined;
    const executionId = await ctx.client.executeWorkflow(args.workflowId!, initialData);
    if (!wait) {
      if (ctx.json) writeJson(ctx.io.stdout, { executionId });
      else writeLines(ctx.io.stdout, executionId);
      return EXIT.OK;
    }
    // The id first, on stderr: stdout gets the outcome (one JSON object with --json).
    writeLines(ctx.io.stderr, `execution ${executionId}`);
    return waitAndReport(ctx, executionId, timeoutSeconds);
  },
};
