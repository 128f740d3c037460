/**
 * Reads what the checker needs from the store and Redis: each execution the driver got an
 * id for (status, and per node its status and the `runId` its recorded output names), and
 * the node jobs still live in BullMQ.
 */
import type { ExecutionStore } from '@spane/core';
import { Queue } from 'bullmq';
import type { SnapshotExecution, StoreSnapshot } from './invariants.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** The BullMQ states of a job that will run or is running. */
const LIVE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'paused',
  'waiting-children',
] as const;

/** One execution as the checker sees it. */
export async function readExecution(store: ExecutionStore, id: string): Promise<SnapshotExecution> {
  const state = await store.getExecution(id);
  if (!state) return null;
  const nodes: Record<string, { status: string; runId?: string }> = {};
  for (const [nodeId, n] of Object.entries(state.nodeResults)) {
    const runId = (n.data as { runId?: unknown } | undefined)?.runId;
    nodes[nodeId] = { status: n.status, ...(typeof runId === 'string' ? { runId } : {}) };
  }
  return { status: state.status, nodes };
}

/** Whether an execution is completed, failed or cancelled. */
export function isTerminal(e: SnapshotExecution): boolean {
  return e !== null && TERMINAL.has(e.status);
}

/**
 * Polls the store until every id is terminal or `deadline` passes; returns when the last
 * one became terminal (epoch ms), or undefined at the deadline.
 */
export async function waitTerminal(
  store: ExecutionStore,
  ids: string[],
  deadline: number,
): Promise<number | undefined> {
  const open = new Set(ids);
  for (;;) {
    for (const id of [...open]) {
      const summary = await store.getExecutionSummary(id).catch(() => undefined);
      if (summary && TERMINAL.has(summary.status)) open.delete(id);
    }
    if (open.size === 0) return Date.now();
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The live node jobs under `prefix` (queue `nodes`), with the execution each belongs to. */
export async function liveJobs(
  redisUrl: string,
  prefix: string,
): Promise<StoreSnapshot['liveJobs']> {
  const queue = new Queue('nodes', {
    connection: { url: redisUrl, maxRetriesPerRequest: 3 },
    prefix,
  });
  queue.on('error', () => {});
  try {
    const jobs = await queue.getJobs([...LIVE_STATES]);
    const out: StoreSnapshot['liveJobs'] = [];
    for (const job of jobs) {
      if (!job?.id) continue;
      const state = await job.getState();
      const executionId =
        (job.data as { executionId?: string }).executionId ?? job.id.split('.')[0]!;
      out.push({ jobId: job.id, executionId, state });
    }
    return out;
  } finally {
    await queue.close();
  }
}

/** The whole snapshot. */
export async function takeSnapshot(
  store: ExecutionStore,
  ids: string[],
  redisUrl: string,
  prefix: string,
): Promise<StoreSnapshot> {
  const executions: Record<string, SnapshotExecution> = {};
  for (const id of ids) executions[id] = await readExecution(store, id);
  return { executions, liveJobs: await liveJobs(redisUrl, prefix) };
}
