import type { ExecutionStatus } from '../api-types.js';
import { type Command, type CommandGroup, EXIT, UsageError } from '../command.js';
import { formatDuration } from '../execution-progress.js';
import { completeReport, executionDuration, stateText } from '../execution-report.js';
import { positiveNumber } from '../json-input.js';
import { formatTable, formatTime, writeJson, writeLines } from '../output.js';
import { waitAndReport } from '../wait-and-report.js';

const STATUSES: readonly ExecutionStatus[] = [
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

const list: Command = {
  name: 'list',
  summary: 'List executions, newest first',
  options: {
    workflow: { type: 'string', value: '<id>', description: 'only those of this workflow' },
    status: {
      type: 'string',
      value: '<status>',
      description: `only those in these statuses, comma-separated (${STATUSES.join(', ')})`,
    },
    'created-after': {
      type: 'string',
      value: '<time>',
      description: 'only those created at or after this ISO 8601 time (2024-05-01T12:00:00Z)',
    },
    'created-before': {
      type: 'string',
      value: '<time>',
      description: 'only those created before this ISO 8601 time',
    },
    limit: { type: 'string', value: '<n>', description: 'at most this many, 1–1000 (default 50)' },
    cursor: {
      type: 'string',
      value: '<cursor>',
      description: 'the next page, as the last one said',
    },
  },
  async run({ client, io, json }, { options }) {
    const {
      workflow,
      status,
      limit,
      cursor,
      'created-after': createdAfter,
      'created-before': createdBefore,
    } = options as Record<string, string | undefined>;
    const statuses = status?.split(',').map((s) => s.trim()) ?? [];
    const unknown = statuses.find((s) => !STATUSES.includes(s as ExecutionStatus));
    if (unknown !== undefined) throw new UsageError(`unknown status '${unknown}'`);
    const page = await client.listExecutions({
      ...(workflow === undefined ? {} : { workflowId: workflow }),
      ...(statuses.length === 0 ? {} : { status: statuses as ExecutionStatus[] }),
      ...(createdAfter === undefined ? {} : { createdAfter }),
      ...(createdBefore === undefined ? {} : { createdBefore }),
      ...(limit === undefined ? {} : { limit: positiveNumber(limit, 'limit', { integer: true }) }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (json) {
      writeJson(io.stdout, page);
      return EXIT.OK;
    }
    if (page.items.length === 0) {
      writeLines(io.stdout, 'no executions');
      return EXIT.OK;
    }
    const rows = page.items.map((e) => {
      const ms = executionDuration({ ...e, nodeResults: {} });
      return [
        e.executionId,
        e.workflowId,
        e.status,
        formatTime(e.createdAt),
        ms === undefined ? '-' : formatDuration(ms),
      ];
    });
    io.stdout.write(formatTable(['ID', 'WORKFLOW', 'STATUS', 'CREATED', 'TIME'], rows));
    if (page.nextCursor) writeLines(io.stderr, `more: --cursor ${page.nextCursor}`);
    return EXIT.OK;
  },
};

const get: Command = {
  name: 'get',
  summary: 'Show an execution: status, nodes, output',
  description: 'With --json, the whole state as the API serves it.',
  args: [{ name: 'id', description: 'execution id' }],
  async run({ client, io, json }, { args }) {
    const state = await client.getExecution(args.id!);
    if (json) writeJson(io.stdout, state);
    else io.stdout.write(stateText(await completeReport(client, state)));
    return EXIT.OK;
  },
};

const wait: Command = {
  name: 'wait',
  summary: 'Wait for an execution to end, with a progress line',
  description: 'Exit code 0 when it completed, 1 when it failed or was cancelled, 3 on --timeout.',
  args: [{ name: 'id', description: 'execution id' }],
  options: {
    timeout: {
      type: 'string',
      value: '<seconds>',
      description: 'give up waiting after this long (exit 3)',
    },
  },
  run(ctx, { args, options }) {
    const timeout = options.timeout as string | undefined;
    return waitAndReport(
      ctx,
      args.id!,
      timeout === undefined ? undefined : positiveNumber(timeout, 'timeout'),
    );
  },
};

const cancel: Command = {
  name: 'cancel',
  summary: 'Cancel a running or paused execution',
  args: [{ name: 'id', description: 'execution id' }],
  async run({ client, io, json }, { args }) {
    const result = await client.cancelExecution(args.id!);
    if (json) writeJson(io.stdout, result);
    else writeLines(io.stdout, `execution ${result.executionId} ${result.status}`);
    return EXIT.OK;
  },
};

const retryDlq: Command = {
  name: 'retry-dlq',
  summary: 'Run a dead-lettered node again (ids: spane dlq list)',
  description:
    'The node gets a fresh set of attempts and its execution returns to running;\n' +
    'follow it with: spane executions wait <executionId>',
  args: [{ name: 'dlqItemId', description: 'id of the dead-letter item' }],
  async run({ client, io, json }, { args }) {
    const result = await client.retryDLQItem(args.dlqItemId!);
    if (json) writeJson(io.stdout, result);
    else writeLines(io.stdout, `retrying ${result.id} in execution ${result.executionId}`);
    return EXIT.OK;
  },
};

/** `spane executions list|get|wait|cancel|retry-dlq`. */
export const executionsGroup: CommandGroup = {
  name: 'executions',
  summary: 'Inspect, follow and cancel executions; retry dead-lettered nodes',
  commands: [list, get, wait, cancel, retryDlq],
};
