import { randomUUID } from 'node:crypto';
import type {
  EngineEventInput,
  EngineEventListener,
  EngineEventMap,
  EngineEventName,
  ExecutionState,
  WorkflowPlan,
} from '@spane/core';
import type { ChannelMessage, EngineChannel } from './engine-channel.js';
import type { EngineLogger } from './engine-options.js';
import type { RunningNodes } from './running-nodes.js';

/** What {@link EngineEvents} needs. */
export interface EngineEventsContext {
  /** The pub/sub channel shared by every engine process of the prefix. */
  channel: Pick<EngineChannel, 'open' | 'onMessage' | 'publish'>;
  /** Where abort orders and pauses heard on the channel go. */
  runs: Pick<RunningNodes, 'abortExecution' | 'pausedElsewhere'>;
  logger: EngineLogger;
  /**
   * Told when this process announces an execution's end (`workflow:completed`, `failed`,
   * `cancelled`): gives the execution's quota slot back.
   */
  ended?: (tenantId: string, executionId: string) => void;
}

const END_EVENTS: ReadonlySet<EngineEventName> = new Set([
  'workflow:completed',
  'workflow:failed',
  'workflow:cancelled',
]);

/**
 * The engine's events: published on the channel (so listeners in every process see
 * them), and handed to this process's listeners as they arrive; abort orders heard on the
 * channel stop this process's runs of the execution.
 */
export class EngineEvents {
  readonly #ctx: EngineEventsContext;
  readonly #listeners = new Map<EngineEventName, Set<(payload: any) => void>>();

  constructor(ctx: EngineEventsContext) {
    this.#ctx = ctx;
    ctx.channel.onMessage((m) => this.#onMessage(m));
  }

  /**
   * Adds a listener of an event from any engine process sharing the prefix; returns a
   * function that removes it.
   */
  on<E extends EngineEventName>(event: E, listener: EngineEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    this.#ctx.channel.open(event.startsWith('node:')).catch((err: Error) =>
      this.#ctx.logger.warn('could not subscribe to engine events yet', {
        error: err.message,
      }),
    );
    return () => set.delete(listener);
  }

  /**
   * Publishes an event to every engine process (this one included), with its `eventId`
   * derived from what identifies the occurrence when the emitter gives none. `linger`: a
   * node-level event whose sequel stays in this process may reach the others a little
   * later, with company (see EngineChannel.publish).
   */
  emit<E extends EngineEventName>(
    name: E,
    payload: EngineEventInput<E>,
    options: { linger?: boolean } = {},
  ): void {
    const event = { eventId: payload.eventId ?? eventIdOf(name, payload), ...payload };
    const message = { kind: 'event', name, payload: event as EngineEventMap[E] } as const;
    this.#ctx.channel.publish(message, options.linger === true);
    if (END_EVENTS.has(name)) {
      const { tenantId, executionId } = payload as unknown as {
        tenantId: string;
        executionId: string;
      };
      this.#ctx.ended?.(tenantId, executionId);
    }
  }

  #onMessage(message: ChannelMessage): void {
    if (message.kind === 'abort') {
      this.#ctx.runs.abortExecution(message.executionId, message.reason);
      return;
    }
    if (message.name === 'workflow:paused') {
      // Paused elsewhere: a run handed to this process begins in the store, which parks it.
      this.#ctx.runs.pausedElsewhere((message.payload as { executionId: string }).executionId);
    }
    for (const listener of this.#listeners.get(message.name) ?? []) {
      try {
        listener(message.payload);
      } catch (err) {
        this.#ctx.logger.error('event listener threw', {
          event: message.name,
          error: (err as Error).message,
        });
      }
    }
  }
}

/** The fields every workflow event carries, stamped now. */
export function executionEvent(
  state: Pick<ExecutionState, 'executionId' | 'workflowId' | 'tenantId'>,
) {
  return {
    executionId: state.executionId,
    workflowId: state.workflowId,
    tenantId: state.tenantId,
    timestamp: new Date().toISOString(),
  };
}

/** The id of an event that a re-run could send again (see `eventId` in `@spane/core`). */
function eventIdOf(name: EngineEventName, payload: Record<string, unknown>): string {
  const { executionId, nodeId, attempt } = payload as {
    executionId: string;
    nodeId?: string;
    attempt?: number;
  };
  if (name === 'workflow:paused' || name === 'workflow:resumed') return randomUUID();
  if (name.startsWith('node:') || name === 'workflow:failed') {
    const parts = [name, executionId, nodeId ?? ''];
    if (attempt !== undefined) parts.push(String(attempt));
    return parts.join(':');
  }
  return `${name}:${executionId}`;
}

/**
 * Whether a node's `node:completed` may linger (see EngineChannel.publish): when this
 * completion made every child of the node ready (in `ready`), their runs follow here — in
 * this process, or in jobs it adds, which send the events held first — and the branch's
 * end is this process's to announce. Not for a node without children, or one with a child
 * skipped or a join still waiting for other parents: a process that completes the rest of
 * the execution may end it and say so before this process's held events go out.
 */
export function completionMayLinger(
  plan: Pick<WorkflowPlan, 'children'>,
  nodeId: string,
  ready: readonly string[],
): boolean {
  const children = plan.children.get(nodeId) ?? [];
  if (children.length === 0 || ready.length < children.length) return false;
  // A set: a fan-out of thousands would scan `ready` once a child.
  const made = new Set(ready);
  return children.every((c) => made.has(c));
}
