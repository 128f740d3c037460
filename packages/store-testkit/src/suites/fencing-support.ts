import type { ExecutionState, ExecutionStore, NodeOutcome, WorkflowPlan } from '@spane/core';
import { expect } from 'vitest';
import { uid, withMs } from '../helpers.js';

/** A fresh run token. */
export const token = (): string => uid('run');

/** `beginNodeRun` with a token; fails the test unless the run starts. */
export async function beginAs(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  runToken: string,
  attempt?: number,
) {
  const result = await store.beginNodeRun(plan, executionId, nodeId, attempt, runToken);
  expect(result, `beginNodeRun(${nodeId}, ${attempt}, ${runToken})`).toMatchObject({
    started: true,
  });
  if (!result.started) throw new Error('unreachable');
  return result;
}

/** `completeNode` as the run holding `runToken` (no telemetry, no start). */
export function completeAs(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  runToken: string,
  outcome: NodeOutcome = { type: 'completed' },
) {
  return store.completeNode(plan, executionId, nodeId, outcome, undefined, { runToken });
}

/** The state with its timestamps as numbers, for comparing a state read twice. */
export function comparable(state: ExecutionState) {
  const nodeResults = Object.fromEntries(
    Object.entries(state.nodeResults).map(([id, n]) => [id, withMs(n, 'startedAt', 'finishedAt')]),
  );
  return { ...withMs(state, 'createdAt', 'startedAt', 'completedAt'), nodeResults };
}

/** Asserts a result that fenced the caller out: nothing recorded, `fenced: true`. */
export function expectFenced(result: { recorded: boolean; fenced?: boolean }): void {
  expect(result).toMatchObject({ recorded: false, fenced: true, ready: [], finished: false });
}

/** Asserts a refused completion that was not fenced (the node is settled already). */
export function expectRefusedNotFenced(result: { recorded: boolean; fenced?: boolean }): void {
  expect(result.recorded).toBe(false);
  expect(result.fenced ?? false).toBe(false);
}
