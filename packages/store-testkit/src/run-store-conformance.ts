import type { ExecutionStore } from '@spane/core';
import { afterEach, beforeEach, describe } from 'vitest';
import { activeNodesSuite } from './suites/active-nodes.js';
import { apiKeysSuite } from './suites/api-keys.js';
import { capabilitiesSuite } from './suites/capabilities.js';
import { dataRoundTripSuite } from './suites/data-round-trip.js';
import { dlqRetrySuite } from './suites/dlq-retry.js';
import { executionsSuite } from './suites/executions.js';
import { fencingSuite } from './suites/fencing.js';
import { joinConcurrencySuite } from './suites/join-concurrency.js';
import { logsSpansSuite } from './suites/logs-spans.js';
import { nodeResultsSuite } from './suites/node-results.js';
import { optimisticLockSuite } from './suites/optimistic-lock.js';
import { retentionSuite } from './suites/retention.js';
import { secretsSuite } from './suites/secrets.js';
import { signalsSuite } from './suites/signals.js';
import { startOnCompleteSuite } from './suites/start-on-complete.js';
import { statusTransitionsSuite } from './suites/status-transitions.js';
import { workflowsSuite } from './suites/workflows.js';
import type { StoreConformanceOptions, StoreSuiteName, SuiteContext } from './types.js';

const SUITES: Readonly<Record<StoreSuiteName, (ctx: SuiteContext) => void>> = {
  workflows: workflowsSuite,
  executions: executionsSuite,
  'node-results': nodeResultsSuite,
  'start-on-complete': startOnCompleteSuite,
  fencing: fencingSuite,
  'data-round-trip': dataRoundTripSuite,
  'join-concurrency': joinConcurrencySuite,
  'status-transitions': statusTransitionsSuite,
  'optimistic-lock': optimisticLockSuite,
  'dlq-retry': dlqRetrySuite,
  'logs-spans': logsSpansSuite,
  retention: retentionSuite,
  'active-nodes': activeNodesSuite,
  capabilities: capabilitiesSuite,
  secrets: secretsSuite,
  'api-keys': apiKeysSuite,
  signals: signalsSuite,
};

/** Every suite, in the order they run. */
export const STORE_SUITES: readonly StoreSuiteName[] = Object.freeze(
  Object.keys(SUITES) as StoreSuiteName[],
);

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`runStoreConformance: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Registers the conformance suites (vitest `describe`/`it` blocks) for one store adapter.
 * Call it at the top level of a test file. Before each test it calls `reset` and then
 * `createStore`; after each test it closes the store.
 *
 * @example
 * runStoreConformance({ name: 'store-memory', createStore: () => new InMemoryExecutionStore() });
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const names = options.suites ?? STORE_SUITES;
  for (const name of names) {
    if (!Object.hasOwn(SUITES, name)) {
      throw new TypeError(
        `runStoreConformance: unknown suite '${name}'; known: ${STORE_SUITES.join(', ')}`,
      );
    }
  }
  const joinParents = positiveInteger(
    'concurrency.joinParents',
    options.concurrency?.joinParents,
    50,
  );
  const joins = positiveInteger('concurrency.joins', options.concurrency?.joins, 20);

  describe(`store conformance: ${options.name}`, () => {
    let current: ExecutionStore | undefined;

    beforeEach(async () => {
      await options.reset?.();
      current = await options.createStore();
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      await store?.close();
    });

    const ctx: SuiteContext = {
      store() {
        if (current === undefined) {
          throw new Error('store-testkit: ctx.store() is only available inside a test');
        }
        return current;
      },
      joinParents,
      joins,
    };
    for (const name of STORE_SUITES) {
      if (names.includes(name)) SUITES[name](ctx);
    }
  });
}
