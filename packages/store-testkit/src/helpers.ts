import { randomUUID } from 'node:crypto';
import type {
  CreateExecutionInput,
  CreateExecutionResult,
  DLQFilter,
  DLQItem,
  ExecutionFilter,
  ExecutionState,
  ExecutionStore,
  ExecutionSummary,
  NodeOutcome,
  NodeStatus,
  WorkflowPlan,
} from '@spane/core';
import { expect } from 'vitest';

/** A fresh id (valid as workflow, node and tenant id) so tests never collide. */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Milliseconds of an ISO-8601 timestamp; fails the test when it does not parse. */
export function ms(timestamp: string | undefined): number {
  expect(typeof timestamp, `timestamp ${String(timestamp)}`).toBe('string');
  const value = Date.parse(timestamp!);
  expect(Number.isNaN(value), `'${timestamp}' is not an ISO-8601 timestamp`).toBe(false);
  return value;
}

/** Asserts an ISO-8601 timestamp. */
export function expectTimestamp(timestamp: string | undefined): void {
  ms(timestamp);
}

/**
 * Waits, without timers, until the local clock has moved to the next millisecond, so that
 * items created before and after get different timestamps in a store with a millisecond
 * clock. Takes at most about one millisecond. Assertions never depend on it: they only
 * check the order the interface promises.
 */
export function nextMillisecond(): void {
  const start = Date.now();
  while (Date.now() === start) {
    // spin
  }
}

/** Waits, without timers, until the local clock reaches `target` (epoch ms). */
export function untilClock(target: number): void {
  while (Date.now() < target) {
    // spin
  }
}

/** The rejection of `promise`; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the promise to reject');
}

/** Runs `mutate` on a returned object; a frozen object (TypeError) counts as not mutable. */
export function tryMutate(mutate: () => void): void {
  try {
    mutate();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

/** How many items satisfy `predicate`. */
export function count<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length;
}

/** Sorted copy, for comparing lists whose order the interface does not promise. */
export function sorted<T>(items: readonly T[], key: (item: T) => string = String): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Saves the plan (in the input's tenant) and creates an execution of it. */
export async function saveAndCreate(
  store: ExecutionStore,
  plan: WorkflowPlan,
  input: Omit<CreateExecutionInput, 'plan'> = {},
): Promise<CreateExecutionResult> {
  const scope = input.tenantId === undefined ? undefined : { tenantId: input.tenantId };
  await store.saveWorkflow(plan, scope);
  return store.createExecution({ plan, ...input });
}

/** The execution; fails the test when it does not exist. */
export async function mustGet(store: ExecutionStore, executionId: string): Promise<ExecutionState> {
  const execution = await store.getExecution(executionId);
  expect(execution, `execution ${executionId}`).not.toBeNull();
  return execution!;
}

/** Begins a node (which must start) and returns the attempt's result. */
export async function begin(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
) {
  const result = await store.beginNodeRun(plan, executionId, nodeId);
  expect(result, `beginNodeRun(${nodeId})`).toMatchObject({ started: true });
  if (!result.started) throw new Error('unreachable');
  return result;
}

/** Begins a node and records its outcome (completed without data by default). */
export async function runNode(
  store: ExecutionStore,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  outcome: NodeOutcome = { type: 'completed' },
) {
  await begin(store, plan, executionId, nodeId);
  return store.completeNode(plan, executionId, nodeId, outcome);
}

/** `{ nodeId: status }` of every node of an execution. */
export function nodeStatuses(execution: ExecutionState): Record<string, NodeStatus> {
  return Object.fromEntries(
    Object.entries(execution.nodeResults).map(([nodeId, state]) => [nodeId, state.status]),
  );
}

/** Every item of a listing, following `nextCursor` (at most `maxPages` pages). */
export async function listAll(
  store: ExecutionStore,
  filter: ExecutionFilter,
  maxPages = 1000,
): Promise<ExecutionSummary[]> {
  const items: ExecutionSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await store.listExecutions(
      cursor === undefined ? filter : { ...filter, cursor },
    );
    items.push(...result.items);
    if (result.nextCursor === undefined) return items;
    cursor = result.nextCursor;
  }
  return expect.fail(`listExecutions returned a nextCursor on ${maxPages} pages in a row`);
}

/** Every dead-letter item matching `filter`, following `nextCursor` to the last page. */
export async function listAllDLQ(
  store: ExecutionStore,
  filter: DLQFilter,
  maxPages = 1000,
): Promise<DLQItem[]> {
  const items: DLQItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await store.listDLQItems(cursor === undefined ? filter : { ...filter, cursor });
    items.push(...result.items);
    if (result.nextCursor === undefined) return items;
    cursor = result.nextCursor;
  }
  return expect.fail(`listDLQItems returned a nextCursor on ${maxPages} pages in a row`);
}

/** Ids of a listing, sorted. */
export function idsOf(items: readonly { executionId: string }[]): string[] {
  return items.map((i) => i.executionId).sort();
}

/** Asserts that timestamps never increase along the list (newest first). */
export function expectNewestFirst(timestamps: readonly (string | undefined)[]): void {
  const values = timestamps.map(ms);
  for (let i = 1; i < values.length; i++) {
    expect(values[i]!, `item ${i} is newer than item ${i - 1}`).toBeLessThanOrEqual(values[i - 1]!);
  }
}

/** Asserts that timestamps never decrease along the list (oldest first). */
export function expectOldestFirst(timestamps: readonly (string | undefined)[]): void {
  const values = timestamps.map(ms);
  for (let i = 1; i < values.length; i++) {
    expect(values[i]!, `item ${i} is older than item ${i - 1}`).toBeGreaterThanOrEqual(
      values[i - 1]!,
    );
  }
}

/** A timestamp `offsetMs` from now, as ISO-8601. */
export function isoFromNow(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

/** Replaces a string field holding a timestamp by its epoch milliseconds, for comparisons. */
export function withMs<T extends object>(value: T, ...fields: (keyof T)[]): T {
  const copy = { ...value } as Record<string, unknown>;
  for (const field of fields) {
    const v = copy[field as string];
    if (typeof v === 'string') copy[field as string] = Date.parse(v);
  }
  return copy as T;
}
