import { type Command, EXIT, UsageError } from '../command.js';
import { parseJson, readJsonFile } from '../json-input.js';
import { writeJson, writeLines } from '../output.js';

/** `spane signal <executionId> <name>`: sends a signal to an execution. */
export const signalCommand: Command = {
  name: 'signal',
  summary: "Send a signal: completes the execution's wait-for-signal node of that name",
  description:
    "The payload (--data or --data-file; none: null) becomes the node's output. The first\n" +
    'signal of a name wins: another one is refused (exit 1, SIGNAL_REJECTED), as is one\n' +
    'after the wait timed out or the execution ended.',
  args: [
    { name: 'executionId', description: 'the execution' },
    { name: 'name', description: 'the name of its wait-for-signal node' },
  ],
  options: {
    data: { type: 'string', value: '<json>', description: 'the payload, as JSON' },
    'data-file': {
      type: 'string',
      value: '<path>',
      description: 'the payload from a JSON file (- reads stdin)',
    },
  },
  async run(ctx, { args, options }) {
    const { data, 'data-file': dataFile } = options as Record<string, string>;
    if (data !== undefined && dataFile !== undefined) {
      throw new UsageError('give --data or --data-file, not both');
    }
    const payload =
      data !== undefined
        ? parseJson(data, '--data')
        : dataFile !== undefined
          ? await readJsonFile(ctx.io, dataFile)
          : undefined;
    const result = await ctx.client.signalExecution(args.executionId!, args.name!, payload);
    if (ctx.json) writeJson(ctx.io.stdout, result);
    else
      writeLines(ctx.io.stdout, `signal '${result.name}' sent to execution ${result.executionId}`);
    return EXIT.OK;
  },
};
