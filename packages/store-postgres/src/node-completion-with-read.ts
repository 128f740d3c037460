import type { WorkflowPlan } from '@spane/core';
import {
  applyNodeOutcome,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  ExecutionNotFoundError,
  type ExecutionStatus,
  IN_FLIGHT_NODE_STATUSES,
  isSettled,
  isTerminalStatus,
  type NodeOutcome,
  type NodeSnapshot,
  type NodeTelemetry,
  type SettledNode,
  startedRunToken,
  type TransitionResult,
} from '@spane/core/store';
import { runTokenArgument } from './call-arguments.js';
import type { Database, Session } from './db.js';
import { opt, str, toSnapshot } from './row-mapping.js';
import { join, json, NOW, raw, type Sql, sql } from './sql.js';
import type { Tables } from './tables.js';
import { spanWrites } from './telemetry-writes.js';
import { BEGIN, COMMIT, ROLLBACK } from './transaction-statements.js';

// The `completeNode` of an outcome that does not fire every edge (a skip, a hard failure,
// `nextNodes` choosing some children): the transition needs the rows of the node's
// children and their parents, so it takes two round trips — (1) lock the execution row
// and read those rows; (2) write the changed node rows (and the counters of the settled
// nodes' children), the execution row and commit. A skip cascade that reaches nodes not
// yet read costs one more round trip per level (the pure transition is then re-run).

/** What {@link completeWithRead} uses. */
export interface CompletionWithReadContext {
  db: Database;
  tables: Pick<Tables, 'executions' | 'nodes' | 'logs' | 'spans'>;
}

/** The call being completed, with what its steps share. */
interface Completion {
  tables: Pick<Tables, 'executions' | 'nodes'>;
  plan: WorkflowPlan;
  executionId: string;
  nodeId: string;
  outcome: NodeOutcome;
  /** `execution_id = <id>` */
  ofExecution: Sql;
}

/** How {@link completeWithRead} completes: the call's options, and the kind of outcome. */
export interface CompletionWithReadOptions extends CompleteNodeOptions {
  /** The outcome is a failure without `continueOnFail`: it fails the execution. */
  hardFailure: boolean;
}

/** The outcome's values as SQL, rendered before any I/O. */
interface RenderedOutcome {
  data: Sql | undefined;
  nextNodes: Sql | undefined;
  error: Sql | undefined;
}

/** The node rows read so far: a snapshot, or null for a node without a row. */
type LoadedNodes = Map<string, NodeSnapshot | null>;

/**
 * Completes the node in two round trips (see above). `hardFailure`: the outcome is a
 * failure without `continueOnFail`, which fails the execution (its children are not read).
 * With `runToken`, a node another run holds is not touched (`fenced: true`): the first
 * round trip locks the node's row too, so no begin can take it over meanwhile.
 */
export function completeWithRead(
  ctx: CompletionWithReadContext,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  outcome: NodeOutcome,
  telemetry: NodeTelemetry | undefined,
  options: CompletionWithReadOptions,
): Promise<CompleteNodeResult> {
  const { start, hardFailure } = options;
  const runToken = runTokenArgument(options.runToken);
  // Rendered before any I/O too: a bad span or log value fails the call up front.
  const telemetryWrites = telemetry ? spanWrites(ctx.tables, telemetry) : [];
  const ofExecution = sql`execution_id = ${executionId}`;
  const call: Completion = { tables: ctx.tables, plan, executionId, nodeId, outcome, ofExecution };
  const rendered = renderOutcome(nodeId, outcome);
  const wanted = wantedNodes(plan, nodeId, hardFailure);

  return ctx.db.run(async (session) => {
    const { status, remaining, loaded, holder } = await lockAndRead(session, call, wanted);
    const node = loaded.get(nodeId);
    if (
      isTerminalStatus(status) ||
      !node ||
      isSettled(node.status) ||
      node.status === 'cancelled'
    ) {
      return notRecorded(session, status, telemetryWrites);
    }
    if (runToken !== null && holder !== null && holder !== runToken) {
      return { ...(await notRecorded(session, status, telemetryWrites)), fenced: true };
    }
    const t = await transition(session, call, loaded, wanted, remaining);
    // A paused execution's ready nodes wait for its resume.
    const starts = new Set(status === 'paused' ? [] : t.ready.filter((id) => start?.includes(id)));
    const writes = [
      settledNodeUpdate(call, t.settled[0]!, rendered),
      ...changedNodesUpdate(call, t, starts, runToken),
      ...openParentsUpdate(call, t.settled),
      ...executionUpdates(call, t),
    ];
    await session.commit(...writes, ...telemetryWrites, COMMIT);
    const result: CompleteNodeResult = {
      recorded: true,
      ready: [...t.ready],
      skipped: t.skipped,
      executionStatus: t.status ?? status,
      finished: t.status !== undefined,
    };
    if (start !== undefined) result.started = t.ready.filter((id) => starts.has(id));
    return result;
  });
}

/**
 * The outcome's data, nextNodes and error as SQL.
 * @throws InvalidArgumentError for a value PostgreSQL cannot store.
 */
function renderOutcome(nodeId: string, outcome: NodeOutcome): RenderedOutcome {
  // Render the outcome's values first: a value PostgreSQL cannot store fails before any I/O.
  const data =
    outcome.type !== 'skipped' && outcome.data !== undefined
      ? json(outcome.data, `data of node '${nodeId}'`)
      : undefined;
  const nextNodes =
    outcome.type === 'completed' && outcome.nextNodes !== undefined
      ? json([...outcome.nextNodes], `nextNodes of node '${nodeId}'`)
      : undefined;
  const error = outcome.type === 'failed' ? sql`${outcome.error}` : undefined;
  return { data, nextNodes, error };
}

/**
 * The rows the transition reads: the node and, unless it fails hard, its children and
 * their parents.
 */
function wantedNodes(plan: WorkflowPlan, nodeId: string, hardFailure: boolean): Set<string> {
  const wanted = new Set([nodeId]);
  if (!hardFailure) {
    for (const child of plan.children.get(nodeId) ?? []) {
      wanted.add(child);
      for (const parent of plan.parents.get(child) ?? []) wanted.add(parent);
    }
  }
  return wanted;
}

/** Reads the rows of the nodes `ids` as the readiness rules see them. */
function readNodes(call: Completion, ids: readonly string[]): Sql {
  return sql`SELECT node_id, status, next_nodes::text AS next_nodes, continued_on_fail
          FROM ${call.tables.nodes} WHERE ${call.ofExecution} AND node_id = ANY(${ids})`;
}

/** What {@link lockAndRead} read. */
interface LockedRead {
  status: ExecutionStatus;
  remaining: number;
  loaded: LoadedNodes;
  /** The token holding the node being completed (null: none, or no such node). */
  holder: string | null;
}

/**
 * Opens the transaction, locks the execution row and the completed node's row (against a
 * begin, which takes no execution lock), and reads them with the `wanted` node rows.
 */
async function lockAndRead(
  session: Session,
  call: Completion,
  wanted: ReadonlySet<string>,
): Promise<LockedRead> {
  const [, execRows, holderRows, nodeRows] = await session.query(
    BEGIN,
    sql`SELECT status, remaining FROM ${call.tables.executions} WHERE ${call.ofExecution} FOR NO KEY UPDATE`,
    sql`SELECT run_token FROM ${call.tables.nodes}
          WHERE ${call.ofExecution} AND node_id = ${call.nodeId} FOR NO KEY UPDATE`,
    readNodes(call, [...wanted]),
  );
  const execution = execRows![0];
  if (!execution) throw new ExecutionNotFoundError(call.executionId);
  const status = str(execution, 'status') as ExecutionStatus;
  const loaded: LoadedNodes = new Map();
  for (const row of nodeRows!) loaded.set(str(row, 'node_id'), toSnapshot(row));
  const holder = opt(holderRows![0] ?? {}, 'run_token') ?? null;
  return { status, remaining: execution.remaining as number, loaded, holder };
}

/**
 * Ends a completion that records nothing (the node or the execution is done); its
 * telemetry is still written.
 */
async function notRecorded(
  session: Session,
  status: ExecutionStatus,
  telemetryWrites: Sql[],
): Promise<CompleteNodeResult> {
  await session.query(ROLLBACK);
  if (telemetryWrites.length > 0) await session.commit(BEGIN, ...telemetryWrites, COMMIT);
  return {
    recorded: false,
    ready: [],
    skipped: [],
    executionStatus: status,
    finished: false,
  };
}

/**
 * Runs the (pure) transition on the rows read. It reads through `lookup`; a node it asks
 * for that was not read is fetched and the transition run again.
 */
async function transition(
  session: Session,
  call: Completion,
  loaded: LoadedNodes,
  wanted: ReadonlySet<string>,
  remaining: number,
): Promise<TransitionResult> {
  for (const wantedId of wanted) if (!loaded.has(wantedId)) loaded.set(wantedId, null);
  for (;;) {
    const missing = new Set<string>();
    const lookup = (lookupId: string): NodeSnapshot | undefined => {
      const snapshot = loaded.get(lookupId);
      if (snapshot === undefined) missing.add(lookupId);
      return snapshot ?? undefined;
    };
    const t = applyNodeOutcome(call.plan, lookup, call.nodeId, call.outcome, remaining);
    if (missing.size === 0) return t;
    const [rows] = await session.query(readNodes(call, [...missing]));
    for (const missingId of missing) loaded.set(missingId, null);
    for (const row of rows!) loaded.set(str(row, 'node_id'), toSnapshot(row));
  }
}

/** The update of the completed node's own row. */
function settledNodeUpdate(call: Completion, first: SettledNode, rendered: RenderedOutcome): Sql {
  const { data, nextNodes, error } = rendered;
  const sets: Sql[] = [
    sql`status = ${first.status}`,
    sql`finished_at = ${NOW}`,
    raw('run_token = NULL'),
  ];
  if (first.skipReason !== undefined) sets.push(sql`skip_reason = ${first.skipReason}`);
  if (first.continuedOnFail) sets.push(raw('continued_on_fail = TRUE'));
  if (data !== undefined) sets.push(sql`data = ${data}`);
  if (nextNodes !== undefined) sets.push(sql`next_nodes = ${nextNodes}`);
  if (call.outcome.type === 'completed') sets.push(raw('error = NULL'));
  if (error !== undefined) sets.push(sql`error = ${error}`);
  return sql`UPDATE ${call.tables.nodes} SET ${join(sets)} WHERE ${call.ofExecution} AND node_id = ${call.nodeId}`;
}

/**
 * The update of the nodes the cascade skipped and of the ready ones (queued, or started:
 * held by the token derived from the completing run's `runToken`).
 */
function changedNodesUpdate(
  call: Completion,
  t: TransitionResult,
  starts: ReadonlySet<string>,
  runToken: string | null,
): Sql[] {
  const [, ...cascade] = t.settled;
  const changed = [
    ...cascade.map((s) => ({
      id: s.nodeId,
      status: s.status,
      reason: s.skipReason ?? null,
      token: null,
    })),
    ...t.ready.map((readyId) => ({
      id: readyId,
      status: starts.has(readyId) ? 'running' : 'queued',
      reason: null,
      token: starts.has(readyId) && runToken !== null ? startedRunToken(runToken, readyId) : null,
    })),
  ];
  if (changed.length === 0) return [];
  const { nodes } = call.tables;
  const { ofExecution } = call;
  return [
    sql`
          UPDATE ${nodes} AS n SET status = v.status,
            skip_reason = COALESCE(v.skip_reason, n.skip_reason),
            finished_at = CASE WHEN v.status = 'skipped' THEN ${NOW} ELSE n.finished_at END,
            attempts = CASE WHEN v.status = 'running' THEN 1 ELSE n.attempts END,
            started_at = CASE WHEN v.status = 'running' THEN ${NOW} ELSE n.started_at END,
            run_token = v.run_token
          FROM unnest(${changed.map((c) => c.id)}, ${changed.map((c) => c.status)},
                      ${changed.map((c) => c.reason)}, ${changed.map((c) => c.token)})
            AS v(node_id, status, skip_reason, run_token)
          WHERE n.${ofExecution} AND n.node_id = v.node_id`,
  ];
}

/** Keeps the children's open-parent counters true for the one-round-trip path. */
function openParentsUpdate(call: Completion, settled: readonly SettledNode[]): Sql[] {
  const opened = new Map<string, number>();
  for (const s of settled) {
    if (s.status === 'failed' && !s.continuedOnFail) continue;
    for (const child of call.plan.children.get(s.nodeId) ?? []) {
      opened.set(child, (opened.get(child) ?? 0) + 1);
    }
  }
  if (opened.size === 0) return [];
  const { nodes } = call.tables;
  const { ofExecution } = call;
  return [
    sql`
          UPDATE ${nodes} AS n SET open_parents = n.open_parents - v.settled::int
          FROM unnest(${[...opened.keys()]}, ${[...opened.values()].map(String)}) AS v(node_id, settled)
          WHERE n.${ofExecution} AND n.node_id = v.node_id`,
  ];
}

/** The update of the execution row (and, when it fails, the cancel of its active nodes). */
function executionUpdates(call: Completion, t: TransitionResult): Sql[] {
  const { executions, nodes } = call.tables;
  const { ofExecution, outcome, nodeId } = call;
  const writes: Sql[] = [];
  const execSets: Sql[] = [sql`remaining = ${t.remaining}`];
  if (t.status !== undefined) {
    execSets.push(
      sql`status = ${t.status}`,
      sql`completed_at = ${NOW}`,
      raw('version = version + 1'),
    );
  }
  if (t.status === 'failed') {
    const message = `Node '${nodeId}' failed: ${outcome.type === 'failed' ? outcome.error : ''}`;
    execSets.push(sql`error = ${message}`);
    writes.push(
      sql`UPDATE ${nodes} SET status = 'cancelled', finished_at = ${NOW}, run_token = NULL
              WHERE ${ofExecution} AND status = ANY(${IN_FLIGHT_NODE_STATUSES})`,
    );
  }
  writes.push(sql`UPDATE ${executions} SET ${join(execSets)} WHERE ${ofExecution}`);
  return writes;
}
