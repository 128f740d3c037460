import type { CompleteNodeResult } from '@spane/core/store';
import { Batcher } from './batcher.js';
import type { Database, Row } from './db.js';
import { type PendingCreate, writeCreates } from './execution-creation.js';
import type { HotStatements } from './hot-statements.js';
import { LogQueue } from './log-queue.js';
import { writeLogBatch } from './logs-and-spans.js';
import { type PendingCompletion, writeCompletions } from './node-completion-batched.js';
import { type PendingBegin, writeBegins } from './node-run-begin.js';
import type { Tables } from './tables.js';
import { readWorkflows } from './workflow-definitions.js';

/** Most calls sent in one statement (per kind: begins, creations, workflow reads, …). */
const MAX_BATCH = 200;
/** Most log lines written by one statement (on their own, or with completions). */
const MAX_CARRIED_LINES = 1_000;
/** Most completions written by one statement. */
const MAX_COMPLETION_BATCH = 200;
/**
 * Most statements of one kind (begins, completions, creations) in flight at once from one
 * store. One: a second statement in flight mostly waited for the first (completions of one
 * execution queue on its row lock until the first commits) while splitting the calls into
 * smaller batches — in the bench's W2 (`apps/bench`), one in flight ran 1.7× the node
 * throughput of two, with no change to a lone call's latency.
 */
const MAX_IN_FLIGHT = 1;

/** The batchers of one store: calls made while earlier ones are written go out together. */
export interface StoreBatchers {
  /** `getWorkflow` calls: tenant, workflow and version (or '' for the current) joined by U+0000. */
  workflowReads: Batcher<string, Row | undefined>;
  /**
   * `appendLogs` calls, written in call order: by the next completion statement while one
   * is in flight, else by a statement of their own.
   */
  logs: LogQueue;
  /** `createExecution` calls, many per statement (see `writeCreates`). */
  creates: Batcher<PendingCreate, string | undefined>;
  /** `beginNodeRun` calls, many per statement (see `writeBegins`). */
  begins: Batcher<PendingBegin, Row | undefined>;
  /** One-round-trip completions, many per statement (see `completeFiringAll`). */
  completions: Batcher<PendingCompletion, CompleteNodeResult>;
}

/** What the batchers' writes use. */
export interface BatchWriteContext {
  db: Database;
  tables: Pick<Tables, 'logs'>;
  statements: HotStatements;
}

/** The batchers of a store: which calls share a batch, and which function writes it. */
export function createBatchers(ctx: BatchWriteContext): StoreBatchers {
  const logs = new LogQueue({
    maxLines: MAX_CARRIED_LINES,
    write: (lines) => writeLogBatch(ctx, lines),
  });
  return {
    logs,
    workflowReads: new Batcher({
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      write: (batch) => readWorkflows(ctx, batch),
    }),
    creates: new Batcher({
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      fits: (batch, item) => !batch.some((b) => b.executionId === item.executionId),
      write: (batch) => writeCreates(ctx, batch),
    }),
    begins: new Batcher({
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      // A node once per batch (one statement updates a row once); a repeat waits.
      fits: (batch, item) =>
        !batch.some((b) => b.executionId === item.executionId && b.nodeId === item.nodeId),
      write: (batch) => writeBegins(ctx, batch),
    }),
    completions: new Batcher({
      maxBatch: MAX_COMPLETION_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      // A node once per batch, and never with its parent (one statement cannot update a
      // row twice); the others wait for the next batch.
      fits: (batch, item) =>
        !batch.some(
          (b) =>
            b.executionId === item.executionId &&
            (b.nodeId === item.nodeId ||
              b.children.includes(item.nodeId) ||
              item.children.includes(b.nodeId)),
        ),
      write: async (batch) => {
        // The log lines waiting go with the completions (one round trip and commit).
        const carried = logs.carry();
        try {
          const results = await writeCompletions(ctx, batch, carried.lines);
          carried.done();
          return results;
        } catch (error) {
          carried.done(error);
          throw error;
        }
      },
    }),
  };
}
