import type { WorkflowDefinition } from '@spane/core';
import { expect } from 'vitest';
import { exec, type Harness, wf } from './engine-harness.js';

// Shapes and probes of the tests of carried runs and riders (see CarriedRuns, RiderIndex).

/** Jobs BullMQ added to the node queue so far (its event stream's `added` entries). */
export async function addedJobs(h: Harness): Promise<string[]> {
  const entries = await h.redis.xrange(`${h.prefix}:nodes:events`, '-', '+');
  const ids: string[] = [];
  for (const [, fields] of entries) {
    const at = fields.indexOf('event');
    if (fields[at + 1] !== 'added') continue;
    ids.push(fields[fields.indexOf('jobId') + 1] ?? '');
  }
  return ids;
}

/** N1 → N2 → … → Nlength, of one type. */
export function chain(id: string, length: number, type = 'step'): WorkflowDefinition {
  return wf(
    id,
    Array.from({ length }, (_, i) =>
      i === 0 ? { id: 'N1', type } : { id: `N${i + 1}`, type, inputs: [`N${i}`] },
    ),
  );
}

/** A `step` type that counts its input up, recording the order of its runs. */
export function registerStep(h: Harness): string[] {
  const runs: string[] = [];
  h.registry.register(
    'step',
    exec(async (ctx) => {
      runs.push(ctx.nodeId);
      return { success: true, data: { n: ((ctx.inputData as { n?: number })?.n ?? 0) + 1 } };
    }),
  );
  return runs;
}

/** A → B1..Bwidth → J, all of `type`. */
export function fan(id: string, width: number, type = 'step'): WorkflowDefinition {
  const mids = Array.from({ length: width }, (_, i) => `B${i + 1}`);
  return wf(id, [
    { id: 'A', type },
    ...mids.map((m) => ({ id: m, type, inputs: ['A'] })),
    { id: 'J', type, inputs: mids },
  ]);
}

/** The jobs added for one execution, by node id. */
export async function addedFor(h: Harness, executionId: string): Promise<string[]> {
  return (await addedJobs(h))
    .filter((j) => j.startsWith(`${executionId}.`))
    .map((j) => j.slice(executionId.length + 1));
}

/** Runs a 5-node chain of `step` so that this process knows the type runs fast. */
export async function warmUp(h: Harness): Promise<void> {
  await h.engine.registerWorkflow(chain('warm', 5));
  const id = await h.engine.enqueueWorkflow('warm', { n: 0 });
  expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
}
