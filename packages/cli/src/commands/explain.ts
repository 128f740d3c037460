import { type Command, EXIT } from '../command.js';
import { writeJson, writeLines } from '../output.js';

/** `spane explain <executionId>`: why each unfinished node of an execution is not running. */
export const explainCommand: Command = {
  name: 'explain',
  summary: "Why isn't my node running? Each unfinished node of an execution, with its reason",
  description:
    'Prints the execution as a sentence, then one line per node that has not settled:\n' +
    '"<node> (<type>, <status>): <reason>". With --json, the answer of the API\n' +
    '(each reason typed by its kind).',
  args: [{ name: 'executionId', description: 'execution id' }],
  async run({ client, io, json }, { args }) {
    const explanation = await client.explainExecution(args.executionId!);
    if (json) {
      writeJson(io.stdout, explanation);
      return EXIT.OK;
    }
    writeLines(
      io.stdout,
      `execution ${explanation.executionId} (${explanation.workflowId}): ${explanation.message}`,
      ...explanation.nodes.map((n) => `  ${n.nodeId} (${n.nodeType}, ${n.status}): ${n.message}`),
    );
    return EXIT.OK;
  },
};
