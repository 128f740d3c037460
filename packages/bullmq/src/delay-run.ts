import type { DelayNodeConfig, ExecutionStore, NodeDefinition } from '@spane/core';
import { DelayedError } from 'bullmq';
import type { AttemptEndings, Processing } from './attempt-endings.js';
import type { Settled } from './attempt-result.js';
import type { AttemptTelemetry } from './attempt-telemetry.js';
import { delayWakeTime } from './delay-node.js';
import type { InfraRetry } from './infra-retry.js';
import type { StartedRun } from './started-run.js';

/** What a delay node's run needs. */
export interface DelayRunContext {
  store: Pick<ExecutionStore, 'setNodeStatus'>;
  endings: Pick<AttemptEndings, 'recordSpan'>;
  infra: Pick<InfraRetry, 'run'>;
}

/**
 * A delay node: passes its input on once its wake time has come; before that its job
 * sleeps in BullMQ's delayed set (durable, no worker slot), remembering its wake time so
 * that a re-run (a crash, a pause) does not start the delay again.
 */
export async function runDelay(
  ctx: DelayRunContext,
  p: Processing,
  node: Readonly<NodeDefinition>,
  begun: StartedRun,
  at: { telemetry: AttemptTelemetry; startedAt: Date },
): Promise<Settled> {
  const { telemetry, startedAt } = at;
  const { job, token } = p;
  const data = job.data;
  const wakeAt =
    data.delayWakeAt ?? delayWakeTime(node.config as DelayNodeConfig, startedAt.getTime());
  if (wakeAt <= Date.now()) {
    return { kind: 'result', result: { success: true, data: begun.inputData } };
  }
  if (data.delayWakeAt === undefined) {
    await job.updateData({
      ...data,
      delayWakeAt: wakeAt,
      delayStartedAt: startedAt.getTime(),
      delayRunToken: p.runToken,
    });
  }
  telemetry.log('info', `node '${data.nodeId}' waits until ${new Date(wakeAt).toISOString()}`);
  await ctx.endings.recordSpan(p, telemetry, 'running');
  await job.moveToDelayed(wakeAt, token);
  // Once `delayed` is visible its job is in the delayed set. (A cancel in between
  // removes the job and cancels the node; a wake that began the next run meanwhile holds
  // the node: this call then changes nothing.)
  await ctx.infra.run(
    `status of node '${data.nodeId}'`,
    () =>
      ctx.store.setNodeStatus(data.executionId, data.nodeId, 'delayed', {
        runToken: p.runToken,
      }),
    p.lease,
  );
  throw new DelayedError();
}
