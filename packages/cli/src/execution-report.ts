import type { ExecutionState, WorkflowDefinition } from './api-types.js';
import type { SpaneClient } from './client.js';
import { executionOutput } from './execution-output.js';
import { formatDuration } from './execution-progress.js';
import { formatTable, formatTime, truncate } from './output.js';

/** What the CLI shows of an execution: its state, and what it read besides. */
export interface ExecutionReport {
  state: ExecutionState;
  /** The definition of the version that ran, when it could be read. */
  definition?: WorkflowDefinition;
  /** Dead-letter items of this execution's failed nodes, when it failed. */
  dlqItems?: { id: string; nodeId: string }[];
}

/**
 * Reads what a report of `state` needs besides it: the definition of its version (for the
 * output: the data of its leaf nodes) and, when it failed, its dead-letter items (for
 * `retry-dlq`). Both are best effort: a report without them is still right.
 */
export async function completeReport(
  client: SpaneClient,
  state: ExecutionState,
): Promise<ExecutionReport> {
  const report: ExecutionReport = { state };
  try {
    report.definition = (
      await client.getWorkflow(state.workflowId, state.workflowVersion)
    ).definition;
  } catch {
    // a deleted workflow, a key without read scope: no output then
  }
  if (state.status === 'failed') {
    try {
      const items = await client.listDLQ({ limit: 1000 });
      report.dlqItems = items
        .filter((item) => item.executionId === state.executionId)
        .map(({ id, nodeId }) => ({ id, nodeId }));
    } catch {
      // not shown then
    }
  }
  return report;
}

/** Milliseconds from creation to the end (or to `now` while it runs), by the server's clock. */
export function executionDuration(state: ExecutionState, now = Date.now()): number | undefined {
  const from = Date.parse(state.createdAt);
  const to = state.completedAt ? Date.parse(state.completedAt) : now;
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : to - from;
}

/** `3 completed, 1 skipped`: the nodes by status, most frequent first. */
export function nodeTally(state: ExecutionState): string {
  const counts = new Map<string, number>();
  for (const node of Object.values(state.nodeResults)) {
    counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}

/** The output of a completed execution, or `undefined` (not completed, or no definition). */
export function reportOutput(report: ExecutionReport): unknown {
  if (report.state.status !== 'completed' || report.definition === undefined) return undefined;
  return executionOutput(report.definition, report.state);
}

/** `--json` of a finished wait: the outcome first, then the whole state. */
export function reportJson(report: ExecutionReport): Record<string, unknown> {
  const { state } = report;
  return {
    executionId: state.executionId,
    status: state.status,
    ...(state.error === undefined ? {} : { error: state.error }),
    ...(state.status === 'completed' ? { output: reportOutput(report) ?? null } : {}),
    durationMs: executionDuration(state) ?? null,
    ...(report.dlqItems ? { dlqItems: report.dlqItems } : {}),
    state,
  };
}

/** The outcome for people: a line with status and time, then output or errors. */
export function outcomeLines(report: ExecutionReport): string[] {
  const { state } = report;
  const ms = executionDuration(state);
  const total = Object.keys(state.nodeResults).length;
  const lines = [
    `execution ${state.executionId} ${state.status}${ms === undefined ? '' : ` in ${formatDuration(ms)}`}: ${total} nodes (${nodeTally(state)})`,
  ];
  if (state.error) lines.push(`error: ${state.error}`);
  const failed = Object.entries(state.nodeResults).filter(([, n]) => n.status === 'failed');
  for (const [id, node] of failed) {
    const attempts = node.attempts === 1 ? '1 attempt' : `${node.attempts} attempts`;
    // The execution's error usually quotes its failed node's: no need to say it twice.
    const why = node.error && !state.error?.includes(node.error) ? `: ${node.error}` : '';
    lines.push(`  node ${id} failed after ${attempts}${why}`);
  }
  for (const item of report.dlqItems ?? []) {
    lines.push(`retry node ${item.nodeId}: spane executions retry-dlq ${item.id}`);
  }
  if (state.status === 'completed') {
    const output = reportOutput(report);
    if (output !== undefined) lines.push('output:', JSON.stringify(output, null, 2));
  }
  return lines;
}

/** `executions get` for people: the execution's fields, its nodes, and its outcome. */
export function stateText(report: ExecutionReport): string {
  const { state } = report;
  const fields: [string, string | undefined][] = [
    ['execution', state.executionId],
    ['workflow', `${state.workflowId} (version ${state.workflowVersion.slice(0, 12)})`],
    ['status', state.status],
    ['created', formatTime(state.createdAt)],
    ['started', state.startedAt && formatTime(state.startedAt)],
    ['ended', state.completedAt && formatTime(state.completedAt)],
    ['error', state.error],
  ];
  const head = fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `${k.padEnd(10)} ${v}\n`)
    .join('');
  const nodes = formatTable(
    ['NODE', 'STATUS', 'ATTEMPTS', 'ERROR'],
    Object.entries(state.nodeResults).map(([id, n]) => [
      id,
      n.status,
      String(n.attempts),
      truncate(n.error ?? '', 100),
    ]),
  );
  const output = reportOutput(report);
  const tail = output === undefined ? '' : `\noutput:\n${JSON.stringify(output, null, 2)}\n`;
  return `${head}\n${nodes}${tail}`;
}
