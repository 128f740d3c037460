import { type NodeRegistry, NonRetryableError, type WorkflowPlan } from '@spane/core';
import { DelayedError, type Job } from 'bullmq';
import { BUILT_IN_NODE_TYPES } from './built-in-nodes.js';
import type { EngineLogger } from './engine-options.js';
import type { NodeJobData } from './node-jobs.js';

/** The first hand-back waits this long; later ones as long as the node has waited so far… */
const MIN_BACKOFF_MS = 250;
/** …but no longer than this, so a worker that has the type is found soon after it starts. */
const MAX_BACKOFF_MS = 2_000;

/** What {@link MissingNodeTypes} needs. */
export interface MissingNodeTypesContext {
  /** The node types this process runs. */
  registry: Pick<NodeRegistry, 'has'>;
  logger: EngineLogger;
  /** How long a node waits for a worker that registers its type (0: not at all). */
  waitMs: number;
}

/**
 * Node jobs that reach a process which does not register their node's type — during a
 * rolling deploy old and new workers take jobs from the same queues. Before anything is
 * begun in the store, such a job goes back to the queue (BullMQ's delayed set, a short
 * backoff; no attempt is used) for a worker that has the type. The job remembers when it
 * was first handed back (`typeWaitSince`); once it has waited `waitMs` the run goes on here
 * and fails for good with {@link MissingNodeTypes.error}.
 */
export class MissingNodeTypes {
  readonly #ctx: MissingNodeTypesContext;

  constructor(ctx: MissingNodeTypesContext) {
    this.#ctx = ctx;
  }

  /**
   * Returns when the job may run here: its type is registered (or built in), or it has
   * waited long enough. Else hands it back and throws BullMQ's `DelayedError`, as a
   * processor must after moving its job.
   */
  async check(plan: WorkflowPlan, job: Job<NodeJobData>, token: string | undefined): Promise<void> {
    const { registry, waitMs, logger } = this.#ctx;
    const data = job.data;
    const type = plan.nodes.get(data.nodeId)?.type;
    if (type === undefined || BUILT_IN_NODE_TYPES.has(type) || registry.has(type)) {
      if (data.typeWaitSince !== undefined) await this.#forgetWait(job);
      return;
    }
    const now = Date.now();
    const since = data.typeWaitSince ?? now;
    const waited = now - since;
    const remaining = waitMs - waited;
    if (remaining <= 0) return;
    const delayMs = Math.min(remaining, Math.max(MIN_BACKOFF_MS, Math.min(MAX_BACKOFF_MS, waited)));
    if (data.typeWaitSince === undefined) await job.updateData({ ...data, typeWaitSince: since });
    logger[waited === 0 ? 'info' : 'debug'](
      `node type '${type}' is not registered here: node '${data.nodeId}' goes back to the queue for a worker that has it`,
      { executionId: data.executionId, jobId: job.id, waitedMs: waited, retryInMs: delayMs },
    );
    await job.moveToDelayed(now + delayMs, token);
    throw new DelayedError();
  }

  /** The final error of a node whose type no worker registered within the wait. */
  error(type: string): NonRetryableError {
    return new NonRetryableError(
      `no worker registers node type '${type}': this process does not, and no worker that does took the node within ${this.#ctx.waitMs} ms (missingNodeTypeWaitMs)`,
    );
  }

  /** A worker that has the type took the job: a later hand-back (a retry) waits afresh. */
  async #forgetWait(job: Job<NodeJobData>): Promise<void> {
    const { typeWaitSince: _, ...rest } = job.data;
    await job.updateData(rest).catch((error: Error) =>
      this.#ctx.logger.warn('could not reset the node type wait of a job', {
        jobId: job.id,
        error: error.message,
      }),
    );
  }
}
