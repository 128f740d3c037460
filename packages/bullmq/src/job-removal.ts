import type { WorkflowPlan } from '@spane/core';
import type { Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';

/** What {@link JobRemoval} needs. */
export interface JobRemovalContext {
  queues: Pick<NodeQueues, 'forNode'>;
  /** Reads the queues' event streams; a wait duplicates it for its blocking read. */
  redis: Pick<Redis, 'xrevrange' | 'duplicate'>;
  /** How long to wait for running jobs to leave. */
  graceMs: number;
}

/** Entries of an XREAD reply: per stream, its new entries (id, flat field list). */
type StreamEntries = [key: string, entries: [id: string, fields: string[]][]][];

/** A node job still there: the node, its job id, its queue's event stream. */
interface PendingJob {
  nodeId: string;
  jobId: string;
  events: string;
}

/**
 * Removes the jobs of an execution's nodes. A job that is running (locked by a worker of
 * any process, told to abort) cannot be removed until it leaves its worker: the removal
 * waits for that on BullMQ's own event streams of the jobs' queues — every move of a job
 * out of `active` (completed, failed, delayed, back to waiting, stalled) adds an event
 * naming it — and tries again when one names a job it waits for, until `graceMs` passed.
 */
export class JobRemoval {
  readonly #ctx: JobRemovalContext;

  constructor(ctx: JobRemovalContext) {
    this.#ctx = ctx;
  }

  /**
   * Removes the jobs of the given nodes, waiting (at most `graceMs`) for running ones to
   * leave. Returns the ids of jobs still there at the deadline.
   */
  async removeNodeJobs(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
  ): Promise<string[]> {
    const deadline = Date.now() + this.#ctx.graceMs;
    let pending = await this.#remove(
      plan,
      nodeIds.map((nodeId) => {
        const events = this.#ctx.queues.forNode(plan, nodeId).toKey('events');
        return { nodeId, jobId: nodeJobId(executionId, nodeId), events };
      }),
    );
    if (pending.length > 0 && Date.now() <= deadline) {
      pending = await this.#awaitDepartures(plan, pending, deadline);
    }
    return pending.map((p) => p.jobId);
  }

  /** Removes what it can of `jobs`; returns those that are still there. */
  async #remove(plan: WorkflowPlan, jobs: readonly PendingJob[]): Promise<PendingJob[]> {
    const left: PendingJob[] = [];
    for (const job of jobs) {
      const queue = this.#ctx.queues.forNode(plan, job.nodeId);
      const removed = await queue.remove(job.jobId).catch(() => 0);
      if (removed === 1) continue;
      if ((await queue.getJobState(job.jobId)) !== 'unknown') left.push(job);
    }
    return left;
  }

  /**
   * Running jobs were told to abort and leave at once: tries again each time an event
   * names one of them, and once more at the deadline.
   */
  async #awaitDepartures(
    plan: WorkflowPlan,
    jobs: PendingJob[],
    deadline: number,
  ): Promise<PendingJob[]> {
    // Read from the streams' ends as they are before the next attempt: a job that leaves
    // after it is heard of.
    const positions = await this.#ends([...new Set(jobs.map((j) => j.events))]);
    let pending = await this.#remove(plan, jobs);
    const reader = this.#ctx.redis.duplicate();
    reader.on('error', () => {});
    try {
      while (pending.length > 0) {
        const wait = deadline - Date.now();
        const heard = wait > 0 ? await this.#heard(reader, positions, pending, wait) : TIMED_OUT;
        if (heard === false) continue;
        pending = await this.#remove(plan, pending);
        if (heard === TIMED_OUT) break;
      }
    } finally {
      reader.disconnect();
    }
    return pending;
  }

  /** The id of the last entry of each stream now ('0-0' for an empty one). */
  async #ends(streams: readonly string[]): Promise<Map<string, string>> {
    const ends = await Promise.all(
      streams.map(async (key) => {
        const [last] = await this.#ctx.redis.xrevrange(key, '+', '-', 'COUNT', 1);
        return [key, last?.[0] ?? '0-0'] as const;
      }),
    );
    return new Map(ends);
  }

  /**
   * Waits (at most `ms`) for the next events of the streams after `positions` (which it
   * moves on): true when one names a pending job, false when none does, TIMED_OUT when
   * none came (or Redis did not answer).
   */
  async #heard(
    reader: Redis,
    positions: Map<string, string>,
    pending: readonly PendingJob[],
    ms: number,
  ): Promise<boolean | typeof TIMED_OUT> {
    const keys = [...positions.keys()];
    const read = reader.xread(
      'COUNT',
      500,
      'BLOCK',
      Math.max(1, Math.ceil(ms)),
      'STREAMS',
      ...keys,
      ...keys.map((k) => positions.get(k)!),
    ) as Promise<StreamEntries | null>;
    const reply = await within(read, ms + 1_000).catch((): typeof TIMED_OUT => TIMED_OUT);
    if (reply === TIMED_OUT || reply === null) return TIMED_OUT;
    const waitedFor = new Set(pending.map((p) => p.jobId));
    let named = false;
    for (const [key, entries] of reply) {
      for (const [id, fields] of entries) {
        positions.set(key, id);
        if (waitedFor.has(jobIdOf(fields) ?? '')) named = true;
      }
    }
    return named;
  }
}

/** The `jobId` field of a BullMQ event entry. */
function jobIdOf(fields: readonly string[]): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) {
    if (fields[i] === 'jobId') return fields[i + 1];
  }
  return undefined;
}
