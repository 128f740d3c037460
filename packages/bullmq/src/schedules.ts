import type { ScheduleTrigger, ValidationIssue, WorkflowDefinition } from '@spane/core';
import { defaultRepeatStrategy, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SCHEDULE_JOB, type ScheduleJobData } from './control-jobs.js';
import { isLegacySchedulerId, type RedisKeys, schedulerId } from './redis-keys.js';

function scheduleTriggers(definition: Pick<WorkflowDefinition, 'triggers'>) {
  return (definition.triggers ?? [])
    .map((trigger, index) => ({ trigger, index }))
    .filter((x): x is { trigger: ScheduleTrigger; index: number } => x.trigger.type === 'schedule');
}

/**
 * Checks every schedule trigger with the cron parser BullMQ itself uses (cron-parser, through
 * BullMQ's `defaultRepeatStrategy`): the expression must parse and fire at least once more,
 * in its time zone.
 */
export function validateSchedules(definition: WorkflowDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { trigger, index } of scheduleTriggers(definition)) {
    let next: number | undefined;
    let problem: string | undefined;
    try {
      next = defaultRepeatStrategy(Date.now(), {
        pattern: trigger.cron,
        ...(trigger.timezone === undefined ? {} : { tz: trigger.timezone }),
      }) as number | undefined;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    if (problem !== undefined || next === undefined || Number.isNaN(next)) {
      const tzProblem = problem !== undefined && /CronDate|zone/i.test(problem);
      issues.push({
        path: `/triggers/${index}/${tzProblem ? 'timezone' : 'cron'}`,
        code: tzProblem ? 'INVALID_TIMEZONE' : 'INVALID_CRON',
        message: `'${trigger.cron}'${trigger.timezone ? ` (${trigger.timezone})` : ''} is not a usable cron schedule: ${problem ?? 'it never fires'}`,
        severity: 'error',
      });
    }
  }
  return issues;
}

/**
 * The schedule triggers of workflows, as BullMQ job schedulers on the engine's control
 * queue: BullMQ adds one job per firing time (its id is derived from the scheduler and the
 * time), so each slot fires once however many processes run. `<prefix>:schedules` maps
 * each workflow to its scheduler ids, so re-registering replaces them and unregistering
 * removes them.
 */
export class Schedules {
  readonly #queue: Queue;
  readonly #redis: Redis;
  readonly #key: string;

  constructor(queue: Queue, redis: Redis, keys: RedisKeys) {
    this.#queue = queue;
    this.#redis = redis;
    this.#key = keys.schedules;
  }

  /** Sets a workflow's schedulers to those of `definition` (none when null). */
  async sync(
    tenantId: string,
    workflowId: string,
    definition: Pick<WorkflowDefinition, 'triggers'> | null,
  ): Promise<void> {
    const field = JSON.stringify([tenantId, workflowId]);
    const wanted = definition ? scheduleTriggers(definition) : [];
    const ids: string[] = [];
    for (const { trigger, index } of wanted) {
      const id = schedulerId(tenantId, workflowId, index);
      ids.push(id);
      const data: ScheduleJobData = { workflowId, tenantId, schedulerId: id };
      if (trigger.initialData !== undefined) data.initialData = trigger.initialData;
      await this.#queue.upsertJobScheduler(
        id,
        {
          pattern: trigger.cron,
          ...(trigger.timezone === undefined ? {} : { tz: trigger.timezone }),
        },
        { name: SCHEDULE_JOB, data, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
    }
    const before = await this.#redis.hget(this.#key, field);
    for (const old of before ? (JSON.parse(before) as string[]) : []) {
      if (!ids.includes(old)) await this.#queue.removeJobScheduler(old);
    }
    if (ids.length > 0) await this.#redis.hset(this.#key, field, JSON.stringify(ids));
    else await this.#redis.hdel(this.#key, field);
  }

  /**
   * Removes the job schedulers left from before scheduler ids escaped tenant and workflow
   * (see `isLegacySchedulerId`; two workflows could share one). Runs after every current
   * workflow's schedulers were written (`WorkflowCatalogue.resyncTriggers`), so each slot
   * still fires; a legacy scheduler and its replacement firing the same slot start one run
   * (the slot's idempotency key names the current id). Returns the ids removed.
   */
  async removeLegacy(): Promise<string[]> {
    // All at once: pages ordered by next firing time shift as schedulers fire.
    const legacy = (await this.#queue.getJobSchedulers())
      .map((s) => s.key)
      .filter(isLegacySchedulerId);
    for (const id of legacy) await this.#queue.removeJobScheduler(id);
    return legacy;
  }

  /** Removes one scheduler (its workflow is gone but it was left behind: a race). */
  async remove(schedulerId: string): Promise<void> {
    await this.#queue.removeJobScheduler(schedulerId);
  }

  /** The workflows (tenant, id) that have schedulers now. */
  async owners(): Promise<{ tenantId: string; workflowId: string }[]> {
    const fields = await this.#redis.hkeys(this.#key);
    return fields.map((f) => {
      const [tenantId, workflowId] = JSON.parse(f) as [string, string];
      return { tenantId, workflowId };
    });
  }

  /** The slot (epoch ms) a firing job stands for. */
  static slotOf(job: Job<ScheduleJobData>): number {
    if (typeof job.opts.prevMillis === 'number') return job.opts.prevMillis;
    const millis = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
    return Number.isFinite(millis) ? millis : job.timestamp;
  }
}
