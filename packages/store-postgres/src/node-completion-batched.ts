import {
  type CompleteNodeOptions,
  type CompleteNodeResult,
  ExecutionNotFoundError,
  type ExecutionStatus,
  InvalidArgumentError,
  type NodeOutcome,
  type NodeTelemetry,
  startedRunToken,
} from '@spane/core/store';
import { type Batcher, Failure } from './batcher.js';
import { integer, runTokenArgument } from './call-arguments.js';
import type { Database, Row } from './db.js';
import type { HotStatements } from './hot-statements.js';
import type { LogLine } from './log-queue.js';
import { opt } from './row-mapping.js';
import { checkText, isoDate, jsonText } from './sql.js';
import { logLine } from './telemetry-writes.js';

// The one-round-trip `completeNode`, for an outcome that fires the edge to every child:
// completions in flight together are written by one statement (the prepared `complete`).

/** A one-round-trip completion waiting for its batch, its values checked and rendered. */
export interface PendingCompletion {
  executionId: string;
  nodeId: string;
  children: readonly string[];
  /** Per child: start it (instead of queueing it) if this completion makes it ready. */
  start: readonly boolean[];
  status: 'completed' | 'failed';
  data: string | null;
  hasData: boolean;
  nextNodes: string | null;
  error: string | null;
  /** The completing run's token (fencing), or null. */
  runToken: string | null;
  /** id, node type, attempt, start, end, status, error */
  span:
    | readonly [string, string | null, number, string, string | null, string, string | null]
    | undefined;
  /** The attempt's log lines (of this execution). */
  logs: LogLine[];
}

/** What {@link completeFiringAll} uses. */
export interface BatchedCompletionContext {
  /** One-round-trip completions in flight together, written by one statement. */
  completions: Batcher<PendingCompletion, CompleteNodeResult>;
}

/** What {@link writeCompletions} uses. */
export interface CompletionWriteContext {
  db: Database;
  statements: Pick<HotStatements, 'complete'>;
}

/** What the `complete` statement returned, parsed; pairs are `<execution>\u0000<node>`. */
interface CompletionRow {
  /** Each execution's status before the statement (a missing execution is absent). */
  before: Record<string, ExecutionStatus>;
  /** Each changed execution's status and `remaining` after it. */
  after: Record<string, [ExecutionStatus, number]>;
  /** The completions recorded. */
  recorded: Set<string>;
  /** The completions refused because another run holds their node. */
  fenced: Set<string>;
  /** The children made ready. */
  queued: Set<string>;
  /** The children started. */
  started: Set<string>;
}

/**
 * The one-round-trip `completeNode` (see node-completion.ts). Calls that arrive while
 * earlier ones are being written wait in this process and go out together as one statement
 * (of any executions; one commit), like `beginNodeRun` calls: a busy worker makes a round
 * trip per batch rather than per node, and a wide fan-in does not queue every completion on
 * the execution row's lock in the server.
 * With `options.runToken` the completion is fenced (see `completeNodesText`).
 * @throws InvalidArgumentError (synchronously) for a value PostgreSQL cannot store, or
 * telemetry of another node.
 */
export function completeFiringAll(
  ctx: BatchedCompletionContext,
  executionId: string,
  nodeId: string,
  outcome: Exclude<NodeOutcome, { type: 'skipped' }>,
  children: readonly string[],
  telemetry: NodeTelemetry | undefined,
  options: CompleteNodeOptions,
): Promise<CompleteNodeResult> {
  const { start } = options;
  // Checked before any I/O: a value PostgreSQL cannot store fails up front.
  checkText(executionId);
  checkText(nodeId);
  const span = telemetry?.span;
  const lines = telemetry?.logs ?? [];
  if (span && (span.executionId !== executionId || span.nodeId !== nodeId)) {
    throw new InvalidArgumentError('telemetry.span must be of the node being completed');
  }
  if (lines.some((l) => l.executionId !== executionId)) {
    throw new InvalidArgumentError('telemetry.logs must be of the execution being completed');
  }
  const item: PendingCompletion = {
    executionId,
    nodeId,
    children,
    start: children.map((c) => start?.includes(c) === true),
    status: outcome.type,
    data:
      outcome.data === undefined
        ? null
        : jsonText(outcome.data, `data of node '${nodeId}'`, options.dataText),
    hasData: outcome.data !== undefined,
    nextNodes:
      outcome.type === 'completed' && outcome.nextNodes !== undefined
        ? jsonText([...outcome.nextNodes], `nextNodes of node '${nodeId}'`)
        : null,
    error: outcome.type === 'failed' ? checkText(outcome.error) : null,
    runToken: runTokenArgument(options.runToken),
    span: span && [
      checkText(span.spanId),
      checkText(span.nodeType ?? null),
      integer(span.attempt, 'attempt')!,
      isoDate(span.startedAt, 'span startedAt'),
      span.finishedAt === undefined ? null : isoDate(span.finishedAt, 'span finishedAt'),
      checkText(span.status),
      span.error === undefined ? null : checkText(span.error),
    ],
    logs: lines.map(logLine),
  };
  return ctx.completions.add(item);
}

/**
 * Writes a batch of one-round-trip completions (of any executions) with one statement, and
 * `carried`: `appendLogs` lines that go with them (see LogQueue), ahead of the attempts'.
 */
export async function writeCompletions(
  ctx: CompletionWriteContext,
  batch: readonly PendingCompletion[],
  carried: readonly LogLine[] = [],
): Promise<(CompleteNodeResult | Failure)[]> {
  const [row] = await ctx.db.prepared(
    ctx.statements.complete,
    completionParameters(batch, carried),
  );
  return completionResults(batch, parseCompletionRow(row!));
}

/** The `complete` statement's parameters for a batch: nodes, edges, spans and log lines. */
function completionParameters(
  batch: readonly PendingCompletion[],
  carried: readonly LogLine[],
): unknown[] {
  // A child reached by edges of several nodes of the batch starts only if exactly one of
  // them asked to start it (it is reported to that one: see reporterOf); else it is queued.
  const asking = new Map<string, number>();
  for (const b of batch) {
    for (const [i, c] of b.children.entries()) {
      if (!b.start[i]) continue;
      const key = `${b.executionId}\u0000${c}`;
      asking.set(key, (asking.get(key) ?? 0) + 1);
    }
  }
  const edges = batch.flatMap((b) =>
    b.children.map((c, i) => {
      const start = b.start[i]! && asking.get(`${b.executionId}\u0000${c}`) === 1;
      // The token holding the child if it starts: derived from the completing run's.
      const token = start && b.runToken !== null ? startedRunToken(b.runToken, c) : null;
      return [b.executionId, b.nodeId, c, start, token] as const;
    }),
  );
  const spans = batch.filter((b) => b.span !== undefined);
  const logs = [...carried, ...batch.flatMap((b) => b.logs)];
  const column = <T>(rows: readonly (readonly T[])[], i: number) => rows.map((r) => r[i]!);
  const spanRows = spans.map(
    (b) => [b.span![0], b.executionId, b.nodeId, ...b.span!.slice(1)] as const,
  );
  return [
    batch.map((b) => b.executionId),
    batch.map((b) => b.nodeId),
    batch.map((b) => b.status),
    batch.map((b) => b.data),
    batch.map((b) => b.hasData),
    batch.map((b) => b.nextNodes),
    batch.map((b) => b.error),
    edges.map((e) => e[0]),
    edges.map((e) => e[1]),
    edges.map((e) => e[2]),
    ...Array.from({ length: 9 }, (_, i) => column(spanRows, i)),
    ...Array.from({ length: 6 }, (_, i) => column(logs, i)),
    edges.map((e) => e[3]),
    batch.map((b) => b.runToken),
    edges.map((e) => e[4]),
  ];
}

/** Parses the row the `complete` statement returns. */
function parseCompletionRow(row: Row): CompletionRow {
  const before = JSON.parse(opt(row, 'before') ?? '{}') as Record<string, ExecutionStatus>;
  const after = JSON.parse(opt(row, 'after') ?? '{}') as Record<string, [ExecutionStatus, number]>;
  const pairs = (column: string) =>
    new Set(
      (JSON.parse(opt(row, column) ?? '[]') as [string, string][]).map(
        ([e, n]) => `${e}\u0000${n}`,
      ),
    );
  return {
    before,
    after,
    recorded: pairs('recorded'),
    fenced: pairs('fenced'),
    queued: pairs('ready'),
    started: pairs('started'),
  };
}

/** Each completion's result (or failure), in batch order. */
function completionResults(
  batch: readonly PendingCompletion[],
  { before, after, recorded, fenced, queued, started }: CompletionRow,
): (CompleteNodeResult | Failure)[] {
  const lastRecorded = new Map<string, PendingCompletion>();
  for (const b of batch) {
    if (recorded.has(`${b.executionId}\u0000${b.nodeId}`)) lastRecorded.set(b.executionId, b);
  }
  const reporter = reporterOf(batch, recorded);
  return batch.map((b) => {
    const status = before[b.executionId];
    if (status === undefined) return new Failure(new ExecutionNotFoundError(b.executionId));
    const changed = after[b.executionId];
    const key = `${b.executionId}\u0000${b.nodeId}`;
    if (!recorded.has(key)) {
      const result: CompleteNodeResult = {
        recorded: false,
        ready: [],
        skipped: [],
        executionStatus: changed?.[0] ?? status,
        finished: false,
      };
      if (fenced.has(key)) result.fenced = true;
      return result;
    }
    // A child made ready by several nodes of the batch is reported by one of them.
    const ready = b.children.filter((c) => {
      const child = `${b.executionId}\u0000${c}`;
      return reporter.get(child) === b && queued.has(child);
    });
    const result: CompleteNodeResult = {
      recorded: true,
      ready,
      skipped: [],
      executionStatus: changed![0],
      finished: lastRecorded.get(b.executionId) === b && changed![1] === 0,
    };
    if (b.start.includes(true)) {
      result.started = ready.filter((c) => started.has(`${b.executionId}\u0000${c}`));
    }
    return result;
  });
}

/**
 * Which recorded completion of the batch reports each child its edges reach (by
 * `<execution>\u0000<child>`): the one that asked to start it (when one did, it alone may
 * start it: see completionParameters), else the first.
 */
function reporterOf(
  batch: readonly PendingCompletion[],
  recorded: ReadonlySet<string>,
): Map<string, PendingCompletion> {
  const reporter = new Map<string, PendingCompletion>();
  for (const b of batch) {
    if (!recorded.has(`${b.executionId}\u0000${b.nodeId}`)) continue;
    for (const [i, c] of b.children.entries()) {
      const key = `${b.executionId}\u0000${c}`;
      if (!reporter.has(key) || b.start[i]) reporter.set(key, b);
    }
  }
  return reporter;
}
