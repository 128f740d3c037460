/** How {@link Batcher} forms and writes batches. */
export interface BatcherOptions<T, R> {
  /** Most items in one batch. */
  maxBatch: number;
  /** Most batches being written at once. */
  maxInFlight: number;
  /**
   * Whether `item` may join `batch` (e.g. one statement cannot update a row twice); an
   * item that may not waits for a later batch, keeping its place in the queue.
   * @defaultValue every item may join
   */
  fits?: (batch: readonly T[], item: T) => boolean;
  /**
   * Writes a batch and returns, in order, each item's result or the error that item
   * alone failed with. A thrown error fails every item of the batch.
   */
  write: (batch: readonly T[]) => Promise<(R | Failure)[]>;
}

/** The error one item of a batch failed with (the other items were written). */
export class Failure {
  constructor(readonly error: unknown) {}
}

interface Queued<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups calls that arrive while earlier ones are being written: the first call goes out
 * at once, and the calls made meanwhile go out together in the next batch — at most
 * `maxInFlight` batches at a time. A lone caller pays no delay; a busy process makes a
 * round trip per batch instead of per call.
 */
export class Batcher<T, R> {
  readonly #options: BatcherOptions<T, R>;
  readonly #queue: Queued<T, R>[] = [];
  #inFlight = 0;

  constructor(options: BatcherOptions<T, R>) {
    this.#options = options;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#start();
    });
  }

  #start(): void {
    const { maxBatch, maxInFlight, fits } = this.#options;
    while (this.#inFlight < maxInFlight && this.#queue.length > 0) {
      const batch: Queued<T, R>[] = [];
      const items: T[] = [];
      const rest: Queued<T, R>[] = [];
      for (const queued of this.#queue) {
        if (batch.length < maxBatch && (fits === undefined || fits(items, queued.item))) {
          batch.push(queued);
          items.push(queued.item);
        } else {
          rest.push(queued);
        }
      }
      this.#queue.splice(0, this.#queue.length, ...rest);
      this.#inFlight += 1;
      void this.#write(batch, items).finally(() => {
        this.#inFlight -= 1;
        this.#start();
      });
    }
  }

  async #write(batch: readonly Queued<T, R>[], items: readonly T[]): Promise<void> {
    let results: (R | Failure)[];
    try {
      results = await this.#options.write(items);
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    for (const [i, queued] of batch.entries()) {
      const result = results[i]!;
      if (result instanceof Failure) queued.reject(result.error);
      else queued.resolve(result);
    }
  }
}
