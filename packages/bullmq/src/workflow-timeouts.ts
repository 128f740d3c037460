import type { Queue } from 'bullmq';
import { type ControlJobData, timeoutJob, timeoutJobId } from './control-jobs.js';

/**
 * Workflow `timeoutMs`: one delayed job per execution in the control queue, armed when the
 * execution is launched and removed when it ends; the control worker cancels an execution
 * still running when its job fires.
 */
export class WorkflowTimeouts {
  readonly #queue: Pick<Queue<ControlJobData>, 'add' | 'addBulk' | 'remove' | 'getJobState'>;

  constructor(queue: Pick<Queue<ControlJobData>, 'add' | 'addBulk' | 'remove' | 'getJobState'>) {
    this.#queue = queue;
  }

  /** Schedules the workflow-timeout check of an execution, `delayMs` from now. */
  async arm(executionId: string, delayMs: number): Promise<void> {
    const job = timeoutJob(executionId, delayMs);
    await this.#queue.add(job.name, job.data, job.opts);
  }

  /** Schedules the checks of several executions with one round trip. */
  async armAll(timers: readonly { executionId: string; delayMs: number }[]): Promise<void> {
    if (timers.length === 0) return;
    await this.#queue.addBulk(timers.map((t) => timeoutJob(t.executionId, t.delayMs)));
  }

  /** Removes an execution's check (it ended); a failure to is ignored. */
  async disarm(executionId: string): Promise<void> {
    await this.#queue.remove(timeoutJobId(executionId)).catch(() => 0);
  }

  /** Whether an execution's check job exists. */
  async isArmed(executionId: string): Promise<boolean> {
    return (await this.#queue.getJobState(timeoutJobId(executionId))) !== 'unknown';
  }
}
