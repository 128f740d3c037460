import { EngineClosedError } from '@spane/core';

/**
 * Which calls the engine still takes: every public call that changes executions or
 * workflows runs through {@link Admission.run}, which refuses it with
 * `EngineClosedError` once close() was called (before the call changed anything), and
 * counts it while it runs so that close() can let it finish before the connections close.
 */
export class Admission {
  #closed = false;
  #refusal: Error | undefined;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @throws EngineClosedError once closed, or the error given to {@link Admission.refuse} */
  check(): void {
    if (this.#closed) throw new EngineClosedError();
    if (this.#refusal) throw this.#refusal;
  }

  /** Refuses every later call with `error` (e.g. a Redis that may evict keys, see requireNoEviction). */
  refuse(error: Error): void {
    this.#refusal = error;
  }

  /** Runs `work` unless the engine is closed (then rejects with EngineClosedError). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.check();
    this.#inFlight += 1;
    try {
      return await work();
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /** Refuses every later call. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves when no admitted call is running. */
  drained(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
