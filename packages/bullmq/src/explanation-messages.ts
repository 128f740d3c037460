import type { ExecutionState, NodeStatus, NodeWaitReason } from '@spane/core';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `; 3 jobs ahead of it (position 4)`, or nothing without a place. */
function placeText(place: { position?: number; ahead?: number }): string {
  if (place.position === undefined || place.ahead === undefined) return '';
  return `; ${plural(place.ahead, 'job')} ahead of it (position ${place.position})`;
}

/** The sentence of a node's reason (see `NodeWaitReason`). */
export function reasonMessage(reason: NodeWaitReason): string {
  switch (reason.kind) {
    case 'waiting-for-parents':
      return `waiting for its ${reason.parents.length === 1 ? 'parent' : 'parents'} ${reason.parents
        .map((p) => `${p.nodeId} (${p.status})`)
        .join(', ')}`;
    case 'queued':
      return `queued in ${reason.queue}: ${
        reason.ahead === 0 ? 'next to run' : `${plural(reason.ahead, 'job')} ahead of it`
      } (position ${reason.position})`;
    case 'max-concurrency':
      return `waiting for a slot of the workflow's maxConcurrency (${reason.limit}), held by ${
        reason.holders.length === 0
          ? 'no run now (a slot is handed to it next)'
          : reason.holders.map((h) => `${h.executionId}/${h.nodeId}`).join(', ')
      }`;
    case 'rate-limited':
      return `held by the rate limit of node type '${reason.nodeType}' until ${reason.retryAt}${placeText(reason)}`;
    case 'type-concurrency':
      return `held by the concurrency of node type '${reason.nodeType}': ${reason.running} of ${reason.limit} runs in progress${placeText(reason)}`;
    case 'breaker-open':
      return `held by the circuit breaker of node type '${reason.nodeType}', open until ${reason.until}`;
    case 'execution-paused':
      return 'the execution is paused: it starts once the execution is resumed';
    case 'delayed':
      return `delayed until ${reason.until}`;
    case 'retrying':
      return `retrying: attempt ${reason.attempt} runs at ${reason.nextTryAt}${
        reason.lastError === undefined ? '' : ` (last error: ${reason.lastError})`
      }`;
    case 'running':
      return runningMessage(reason);
    case 'waiting-for-sub-workflow':
      return `waiting for its sub-workflow ${reason.childExecutionId}, which is ${reason.childStatus}`;
    case 'waiting-for-signal':
      return `waiting for signal '${reason.name}'${
        reason.timeoutAt === undefined ? '' : ` (times out at ${reason.timeoutAt})`
      }`;
    case 'map':
      return mapMessage(reason);
    case 'lost':
      return `lost: the store says ${reason.status} but Redis has no job; reconcile re-enqueues it ${
        reason.reconcileAt === undefined ? 'at the next reconcile pass' : `at ${reason.reconcileAt}`
      }`;
    case 'unknown':
      return reason.detail;
  }
}

function runningMessage(reason: Extract<NodeWaitReason, { kind: 'running' }>): string {
  const since = reason.startedAt === undefined ? '' : `, since ${reason.startedAt}`;
  const base = `running (attempt ${reason.attempt}${since})`;
  return reason.workerAlive === false
    ? `${base}; its worker's lock on the job expired: BullMQ gives the job to another worker once it finds it stalled`
    : base;
}

function mapMessage(reason: Extract<NodeWaitReason, { kind: 'map' }>): string {
  const { total, done, failed, running } = reason;
  const parts = [
    done === undefined ? undefined : `${done} done`,
    failed === undefined ? undefined : `${failed} failed`,
    running === undefined ? undefined : `${running} running`,
  ].filter((p) => p !== undefined);
  const of = total === undefined ? '' : ` of ${plural(total, 'item')}`;
  return `waiting for its map items${of}${parts.length === 0 ? '' : `: ${parts.join(', ')}`}`;
}

/** The sentence of an execution's status, with how many nodes are unfinished. */
export function executionMessage(
  execution: Pick<ExecutionState, 'status' | 'error'>,
  unfinished: readonly { status: NodeStatus }[],
): string {
  switch (execution.status) {
    case 'completed':
      return 'execution completed';
    case 'failed':
      return execution.error === undefined
        ? 'execution failed'
        : `execution failed: ${execution.error}`;
    case 'cancelled':
      return 'execution cancelled';
    case 'paused':
      return `execution is paused: no node starts until it is resumed (${plural(unfinished.length, 'node')} not finished)`;
    case 'pending':
      return `execution has not started yet (${plural(unfinished.length, 'node')} not finished)`;
    case 'running':
      return `execution is running: ${plural(unfinished.length, 'node')} not finished`;
  }
}
