import type {
  CompleteNodeResult,
  ExecutionState,
  ExecutionStore,
  NodeOutcome,
  WorkflowPlan,
} from '@spane/core';
import { expect, it as vitestIt } from 'vitest';
import { expectTimestamp } from '../helpers.js';
import type { SuiteContext } from '../types.js';

/** Registers one test of the `start-on-complete` suite. */
export type StartsNodesIt = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * The `it` of the `start-on-complete` tests: a test of starting nodes runs for a store that
 * declares `capabilities.startsNodes` (the `capabilities` suite checks the others leave
 * `started` out).
 */
export function startsNodesIt(ctx: SuiteContext): StartsNodesIt {
  return (name, fn, timeout) => {
    vitestIt(
      name,
      async (test) => {
        if (!ctx.store().capabilities.startsNodes) {
          test.skip('the store does not declare capabilities.startsNodes');
        }
        await fn();
      },
      timeout,
    );
  };
}

/** `started` of a result, where absent counts as empty. */
export function startedOf(result: { started?: string[] }): string[] {
  return result.started ?? [];
}

/** `completeNode` of `nodeId` without telemetry, asking to start `start`. */
export function completeStarting(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  outcome: NodeOutcome,
  start: readonly string[],
): Promise<CompleteNodeResult> {
  return store.completeNode(plan, executionId, nodeId, outcome, undefined, { start });
}

/** Asserts that `nodeId` is as `beginNodeRun(plan, id, nodeId, 1)` leaves it. */
export function expectStarted(state: ExecutionState, nodeId: string): void {
  const node = state.nodeResults[nodeId];
  expect(node, `node ${nodeId}`).toMatchObject({ status: 'running', attempts: 1 });
  expectTimestamp(node?.startedAt);
}
