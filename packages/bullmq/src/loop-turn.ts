/** Turns of the event loop counted so far (by the immediates {@link loopTurn} arms). */
let turns = 0;
/** Whether an immediate that counts the current turn is pending. */
let armed = false;

/** A point in the event loop's turns (see {@link loopTurn}). */
export type LoopTurn = number;

/**
 * The current turn of the event loop; the next check phase (`setImmediate`) ends it — i.e.
 * once the loop went on to poll for I/O (or would have: libuv does not block in its poll
 * while an immediate is pending). One immediate a turn, however many callers ask.
 */
export function loopTurn(): LoopTurn {
  if (!armed) {
    armed = true;
    setImmediate(() => {
      armed = false;
      turns += 1;
    });
  }
  return turns;
}

/** Whether the event loop went through a turn since `since` ({@link loopTurn}). */
export function turnPassed(since: LoopTurn): boolean {
  return turns > since;
}

/** Resolves after one turn of the event loop — at once when one passed since `since`. */
export async function turnAfter(since: LoopTurn): Promise<void> {
  if (turnPassed(since)) return;
  await new Promise((resolve) => setImmediate(resolve));
}
