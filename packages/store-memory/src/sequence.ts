/**
 * Creation order shared by executions and dead letters: each gets the next number, which
 * orders newest-first listings and makes their cursors.
 */
export class Sequence {
  #last = 0;

  /** The next number, one more than the last. */
  next(): number {
    this.#last += 1;
    return this.#last;
  }
}
