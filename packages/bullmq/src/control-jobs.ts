import type { JobsOptions } from 'bullmq';

/** Name of the control-queue job that checks an execution's workflow `timeoutMs`. */
export const TIMEOUT_JOB = 'timeout';

/** Name of the control-queue jobs a schedule fires. */
export const SCHEDULE_JOB = 'schedule';

/** Data of a workflow-timeout job. */
export interface TimeoutJobData {
  /** The execution to cancel when it is still running at the deadline. */
  executionId: string;
}

/** Data of a schedule's firing job. */
export interface ScheduleJobData {
  /** The workflow to start (its current version). */
  workflowId: string;
  /** The workflow's tenant. */
  tenantId: string;
  /** The BullMQ job scheduler that fired. */
  schedulerId: string;
  /** The trigger's `initialData`. */
  initialData?: unknown;
}

/** Data of a control-queue job: a workflow timeout, or a schedule's firing. */
export type ControlJobData = TimeoutJobData | ScheduleJobData;

/** Job id of an execution's workflow-timeout job. */
export function timeoutJobId(executionId: string): string {
  return `timeout.${executionId}`;
}

/** The workflow-timeout job of an execution, due in `delayMs`. */
export function timeoutJob(
  executionId: string,
  delayMs: number,
): { name: string; data: TimeoutJobData; opts: JobsOptions } {
  return {
    name: TIMEOUT_JOB,
    data: { executionId },
    opts: {
      jobId: timeoutJobId(executionId),
      delay: delayMs,
      removeOnComplete: true,
      removeOnFail: true,
    },
  };
}
