import { SignalRejectedError } from '@spane/core';
import { exec, type Harness, wf } from './engine-harness.js';

/** A node's status in the store. */
export async function nodeStatus(h: Harness, executionId: string, nodeId: string) {
  return (await h.engine.getExecution(executionId))?.nodeResults[nodeId]?.status;
}

/** `source` passes `{ from }` on; `sink` records its input per execution and returns the time. */
export function registerSteps(h: Harness): Map<string, unknown> {
  const inputs = new Map<string, unknown>();
  h.registry.register(
    'source',
    exec(async (ctx) => ({ success: true, data: { from: ctx.nodeId } })),
  );
  h.registry.register(
    'sink',
    exec(async (ctx) => {
      inputs.set(ctx.executionId, ctx.inputData);
      return { success: true, data: Date.now() };
    }),
  );
  return inputs;
}

/** A → W (wait-for-signal) → B, B of type `sink` unless said otherwise. */
export const waiting = (id: string, config: Record<string, unknown>, sink = 'sink') =>
  wf(id, [
    { id: 'A', type: 'source' },
    { id: 'W', type: 'wait-for-signal', inputs: ['A'], config },
    { id: 'B', type: sink, inputs: ['W'] },
  ]);

/** The reason of a SignalRejectedError, or a description of what else it was. */
export async function rejection(call: Promise<void>): Promise<string> {
  const error = await call.then(
    () => 'accepted',
    (e: unknown) => e,
  );
  if (error instanceof SignalRejectedError) return error.reason;
  return String(error);
}
