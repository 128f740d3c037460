/**
 * The invariant checker: a pure function over the store's final state (as the snapshot
 * read it) and the JSONL records of every process. It decides nothing by itself about
 * time: the caller takes the snapshot when every execution is terminal or at the deadline.
 */
import type {
  ChaosRecord,
  EffectRecord,
  EnqueueRecord,
  EventRecord,
  InvocationRecord,
  ProcessRecord,
} from './records.js';

/** One node as the store recorded it; `runId` is what the recorded output names. */
export interface SnapshotNode {
  status: string;
  runId?: string;
}

/** One execution as the store holds it, or `null` when the store does not know the id. */
export type SnapshotExecution = { status: string; nodes: Record<string, SnapshotNode> } | null;

/** The final state: the store's executions and the BullMQ jobs still live in Redis. */
export interface StoreSnapshot {
  executions: Record<string, SnapshotExecution>;
  /** Jobs waiting, active, delayed, prioritized or paused (not the failed/completed history). */
  liveJobs: { jobId: string; executionId: string; state: string }[];
}

/** What the checker counts; every field but the informational ones must be 0. */
export interface CheckResult {
  /** Executions the driver got an id for. */
  executions: number;
  /** Planned executions the driver never got an id for (every enqueue call rejected). */
  unenqueued: number;
  /** Enqueue calls that rejected or timed out (informational). */
  enqueueRejections: number;
  /** An id the driver got that the store does not know. */
  lost: number;
  /** Not terminal at the snapshot. */
  stuck: number;
  /** Failed or cancelled although its workflow has no poison node. */
  unexpectedFailed: number;
  /** Extra effects of one execution + node beyond the first (informational). */
  duplicatedEffects: number;
  /** Extra effects not explained by their process dying or stopping between effect and commit. */
  unexplainedDuplicates: number;
  /** Pairs of invocations of one execution + node + attempt whose run times overlap. */
  concurrentSameAttempt: number;
  /** Invocations that reused an attempt number after an earlier one ended (informational). */
  sameAttemptReruns: number;
  /** Recorded results that no invocation of that node produced, or nodes of a completed execution not settled. */
  badResults: number;
  /** Live jobs of executions that are terminal. */
  leftoverJobs: number;
  /** Completed executions with no `workflow:completed` event heard by any process. */
  missingCompletedEvents: number;
  /** One line per problem (at most a few per kind). */
  violations: string[];
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const SETTLED_NODE = new Set(['completed', 'skipped']);
/** A process stop or exit this long after an invocation's end still counts as before its commit. */
export const COMMIT_WINDOW_MS = 5_000;

const nodeKey = (r: { executionId: string; nodeId: string }) => `${r.executionId}\u0000${r.nodeId}`;

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

class Violations {
  readonly lines: string[] = [];
  readonly #perKind = new Map<string, number>();
  add(kind: string, line: string): void {
    const n = (this.#perKind.get(kind) ?? 0) + 1;
    this.#perKind.set(kind, n);
    if (n <= 3) this.lines.push(`${kind}: ${line}`);
    else if (n === 4) this.lines.push(`${kind}: …`);
  }
}

/** The checker: counts every invariant's breaches over one scenario's records and final state. */
export function checkInvariants(records: ChaosRecord[], snapshot: StoreSnapshot): CheckResult {
  const v = new Violations();
  const enqueues = records.filter((r): r is EnqueueRecord => r.kind === 'enqueue');
  const starts = records.filter((r): r is InvocationRecord => r.kind === 'start');
  const ends = new Map(
    records
      .filter((r): r is InvocationRecord => r.kind === 'end')
      .map((r) => [r.runId, r] as const),
  );
  const disruptions = groupBy(
    records.filter((r): r is ProcessRecord => r.kind === 'process' && r.what !== 'spawn'),
    (r) => String(r.pid),
  );
  const executions = checkExecutions(enqueues, records, snapshot, v);
  const effects = checkEffects(records, snapshot, ends, disruptions, v);
  const runs = checkRuns(starts, ends, disruptions, v);
  const badResults = checkResults(starts, snapshot, v);
  return {
    ...executions,
    ...effects,
    ...runs,
    badResults,
    enqueueRejections: enqueues.reduce((n, e) => n + e.rejections, 0),
    violations: v.lines,
  };
}

function checkExecutions(
  enqueues: EnqueueRecord[],
  records: ChaosRecord[],
  snapshot: StoreSnapshot,
  v: Violations,
) {
  const completedEvents = new Set(
    records
      .filter((r): r is EventRecord => r.kind === 'event' && r.name === 'workflow:completed')
      .map((r) => r.executionId),
  );
  let lost = 0;
  let stuck = 0;
  let unexpectedFailed = 0;
  let missingCompletedEvents = 0;
  let unenqueued = 0;
  const ids = new Set<string>();
  for (const e of enqueues) {
    if (!e.executionId) {
      unenqueued++;
      continue;
    }
    ids.add(e.executionId);
    const state = snapshot.executions[e.executionId];
    if (!state) {
      lost++;
      v.add('lost', `${e.executionId} (${e.workflowId})`);
    } else if (!TERMINAL.has(state.status)) {
      stuck++;
      const open = Object.entries(state.nodes).filter(([, n]) => !TERMINAL_NODE(n.status));
      v.add(
        'stuck',
        `${e.executionId} ${state.status}: ${open.map(([id, n]) => `${id}=${n.status}`).join(' ')}`,
      );
    } else if (state.status !== 'completed' && !e.mayFail) {
      unexpectedFailed++;
      v.add('unexpected-failed', `${e.executionId} (${e.workflowId}) ${state.status}`);
    } else if (state.status === 'completed' && !completedEvents.has(e.executionId)) {
      missingCompletedEvents++;
      v.add('missing-event', `no workflow:completed for ${e.executionId}`);
    }
  }
  let leftoverJobs = 0;
  for (const job of snapshot.liveJobs) {
    const state = snapshot.executions[job.executionId];
    if (state && TERMINAL.has(state.status)) {
      leftoverJobs++;
      v.add('leftover-job', `${job.jobId} (${job.state}) of a ${state.status} execution`);
    }
  }
  return {
    executions: ids.size,
    unenqueued,
    lost,
    stuck,
    unexpectedFailed,
    missingCompletedEvents,
    leftoverJobs,
  };
}

function TERMINAL_NODE(status: string): boolean {
  return SETTLED_NODE.has(status) || status === 'failed' || status === 'cancelled';
}

/** Whether `pid` exited or was stopped in [from, to]. */
function disruptedIn(
  disruptions: Map<string, ProcessRecord[]>,
  pid: number,
  from: number,
  to: number,
) {
  return (disruptions.get(String(pid)) ?? []).some(
    (d) => (d.what === 'exit' || d.what === 'stop') && d.at >= from && d.at <= to,
  );
}

function checkEffects(
  records: ChaosRecord[],
  snapshot: StoreSnapshot,
  ends: Map<string, InvocationRecord>,
  disruptions: Map<string, ProcessRecord[]>,
  v: Violations,
) {
  const effects = records.filter((r): r is EffectRecord => r.kind === 'effect');
  let duplicatedEffects = 0;
  let unexplainedDuplicates = 0;
  for (const group of groupBy(effects, nodeKey).values()) {
    if (group.length < 2) continue;
    duplicatedEffects += group.length - 1;
    const first = group[0]!;
    const committed = snapshot.executions[first.executionId]?.nodes[first.nodeId]?.runId;
    const sorted = [...group].sort((a, b) => a.at - b.at);
    const keeper = sorted.find((e) => e.runId === committed) ?? sorted[0]!;
    for (const extra of sorted) {
      if (extra === keeper) continue;
      const end = ends.get(extra.runId);
      const until = (end?.at ?? Number.POSITIVE_INFINITY) + COMMIT_WINDOW_MS;
      if (disruptedIn(disruptions, extra.pid, extra.at, until)) continue;
      unexplainedDuplicates++;
      v.add(
        'duplicate-effect',
        `${extra.executionId}/${extra.nodeId} attempt ${extra.attempt} by ${extra.runId} (kept ${keeper.runId} attempt ${keeper.attempt}); its process did not die before its commit`,
      );
    }
  }
  return { duplicatedEffects, unexplainedDuplicates };
}

function checkRuns(
  starts: InvocationRecord[],
  ends: Map<string, InvocationRecord>,
  disruptions: Map<string, ProcessRecord[]>,
  v: Violations,
) {
  const deathAfter = (pid: number, at: number) =>
    (disruptions.get(String(pid)) ?? [])
      .filter((d) => d.what === 'exit' && d.at >= at)
      .reduce((min, d) => Math.min(min, d.at), Number.POSITIVE_INFINITY);
  let concurrentSameAttempt = 0;
  let sameAttemptReruns = 0;
  for (const group of groupBy(starts, (s) => `${nodeKey(s)}\u0000${s.attempt}`).values()) {
    if (group.length < 2) continue;
    const spans = group.map((s) => ({
      s,
      from: s.at,
      to: ends.get(s.runId)?.at ?? deathAfter(s.pid, s.at),
    }));
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        const a = spans[i]!;
        const b = spans[j]!;
        if (a.from < b.to && b.from < a.to) {
          concurrentSameAttempt++;
          v.add(
            'concurrent-same-attempt',
            `${a.s.executionId}/${a.s.nodeId} attempt ${a.s.attempt}: ${a.s.runId} and ${b.s.runId} overlap`,
          );
        } else sameAttemptReruns++;
      }
    }
  }
  return { concurrentSameAttempt, sameAttemptReruns };
}

function checkResults(starts: InvocationRecord[], snapshot: StoreSnapshot, v: Violations): number {
  const runs = new Map(starts.map((s) => [s.runId, s] as const));
  let bad = 0;
  for (const [executionId, state] of Object.entries(snapshot.executions)) {
    if (!state) continue;
    for (const [nodeId, node] of Object.entries(state.nodes)) {
      if (state.status === 'completed' && !SETTLED_NODE.has(node.status)) {
        bad++;
        v.add('bad-result', `${executionId}/${nodeId} is ${node.status} in a completed execution`);
      }
      if (node.status !== 'completed' || node.runId === undefined) continue;
      const run = runs.get(node.runId);
      if (!run || run.executionId !== executionId || run.nodeId !== nodeId) {
        bad++;
        v.add(
          'bad-result',
          `${executionId}/${nodeId} holds output of ${node.runId}, no invocation of this node`,
        );
      }
    }
  }
  return bad;
}

/** Whether a result breaks no invariant. */
export function passes(r: CheckResult): boolean {
  return (
    r.lost === 0 &&
    r.unenqueued === 0 &&
    r.stuck === 0 &&
    r.unexpectedFailed === 0 &&
    r.unexplainedDuplicates === 0 &&
    r.concurrentSameAttempt === 0 &&
    r.badResults === 0 &&
    r.leftoverJobs === 0 &&
    r.missingCompletedEvents === 0
  );
}
