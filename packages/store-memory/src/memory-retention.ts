import { InvalidArgumentError } from '@spane/core/store';
import type { ExecutionRecord } from './execution-records.js';
import type { MemoryTelemetry } from './memory-telemetry.js';
import { tenantKey } from './tenant-key.js';

/** What retention deletes an execution from. */
export interface RetentionContext {
  /** Executions by id. */
  readonly executions: Map<string, ExecutionRecord>;
  /** Execution ids by tenant and idempotency key. */
  readonly idempotency: Map<string, string>;
  /** Logs and spans of the executions. */
  readonly telemetry: MemoryTelemetry;
}

/**
 * Finished executions in the order they finished: evicts the oldest over the limit, and
 * purges those finished before a date. Running executions are never evicted.
 */
export class MemoryRetention {
  /** Finished execution ids in the order they finished. */
  readonly #finished = new Map<string, true>();
  readonly #ctx: RetentionContext;
  readonly #maxFinished: number;

  /** @param maxFinished - finished executions kept; a non-negative integer. */
  constructor(ctx: RetentionContext, maxFinished: number) {
    this.#ctx = ctx;
    this.#maxFinished = maxFinished;
  }

  /** Records that an execution has just finished, then evicts the oldest over the limit. */
  finished(executionId: string): void {
    this.#finished.delete(executionId);
    this.#finished.set(executionId, true);
    while (this.#finished.size > this.#maxFinished) {
      const oldest = this.#finished.keys().next().value as string;
      this.#delete(oldest);
    }
  }

  /** Records that a finished execution runs again (it is no longer evictable). */
  reopened(executionId: string): void {
    this.#finished.delete(executionId);
  }

  /** Deletes up to `limit` executions finished before `finishedBefore`, oldest first. */
  purge(options: { finishedBefore: string; limit?: number }): number {
    const limit = options.limit ?? 1000;
    const cutoff = Date.parse(options.finishedBefore);
    if (Number.isNaN(cutoff))
      throw new InvalidArgumentError(`invalid date '${options.finishedBefore}'`);
    const { executions } = this.#ctx;
    const victims = [...this.#finished.keys()]
      .map((id) => executions.get(id)!)
      .filter((r) => Date.parse(r.state.completedAt!) < cutoff)
      .sort((a, b) => Date.parse(a.state.completedAt!) - Date.parse(b.state.completedAt!))
      .slice(0, limit);
    for (const r of victims) this.#delete(r.state.executionId);
    return victims.length;
  }

  #delete(executionId: string): void {
    const { executions, idempotency, telemetry } = this.#ctx;
    const record = executions.get(executionId);
    if (record?.state.idempotencyKey !== undefined) {
      idempotency.delete(tenantKey(record.state.tenantId, record.state.idempotencyKey));
    }
    executions.delete(executionId);
    this.#finished.delete(executionId);
    telemetry.delete(executionId);
  }
}
