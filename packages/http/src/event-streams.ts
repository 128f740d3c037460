/**
 * The open event streams of one plugin instance, so that closing the plugin ends them
 * (a server cannot close under a stream that never ends by itself).
 */
export class EventStreams {
  readonly #open = new Set<() => void>();
  readonly #onCount: (n: number) => void;

  /** @param onCount - told the number of open streams after each change (the metrics gauge). */
  constructor(onCount: (n: number) => void = () => {}) {
    this.#onCount = onCount;
  }

  /** Tracks a stream by the function that ends it; returns the function that untracks it. */
  add(end: () => void): () => void {
    this.#open.add(end);
    this.#onCount(this.#open.size);
    return () => {
      this.#open.delete(end);
      this.#onCount(this.#open.size);
    };
  }

  /** The number of open streams. */
  get size(): number {
    return this.#open.size;
  }

  /** Ends every open stream. */
  endAll(): void {
    for (const end of [...this.#open]) end();
  }
}
