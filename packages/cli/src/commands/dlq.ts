import { type Command, type CommandGroup, EXIT } from '../command.js';
import { positiveNumber } from '../json-input.js';
import { formatTable, formatTime, truncate, writeJson, writeLines } from '../output.js';

const list: Command = {
  name: 'list',
  summary: 'List dead-lettered nodes (nodes that failed for good), newest first',
  description: 'Run one again with: spane executions retry-dlq <id>',
  options: {
    limit: { type: 'string', value: '<n>', description: 'at most this many, 1–1000 (default 50)' },
    offset: { type: 'string', value: '<n>', description: 'skip this many first' },
  },
  async run({ client, io, json }, { options }) {
    const { limit, offset } = options as Record<string, string | undefined>;
    const items = await client.listDLQ({
      ...(limit === undefined ? {} : { limit: positiveNumber(limit, 'limit', { integer: true }) }),
      ...(offset === undefined || offset === '0'
        ? {}
        : { offset: positiveNumber(offset, 'offset', { integer: true }) }),
    });
    if (json) {
      writeJson(io.stdout, items);
    } else if (items.length === 0) {
      writeLines(io.stdout, 'the dead letter queue is empty');
    } else {
      const rows = items.map((i) => [
        i.id,
        i.workflowId,
        i.executionId,
        i.nodeId,
        formatTime(i.failedAt),
        truncate(i.error, 80),
      ]);
      io.stdout.write(
        formatTable(['ID', 'WORKFLOW', 'EXECUTION', 'NODE', 'FAILED', 'ERROR'], rows),
      );
    }
    return EXIT.OK;
  },
};

/** `spane dlq list`. */
export const dlqGroup: CommandGroup = {
  name: 'dlq',
  summary: 'The dead letter queue',
  commands: [list],
};
