/** Whether the event loop went through a turn since {@link loopTurn} was called. */
export interface LoopTurn {
  readonly passed: boolean;
}

/**
 * Watches for a turn of the event loop: `passed` becomes true in the next check phase
 * (`setImmediate`), i.e. once the loop went on to poll for I/O (or would have: libuv does
 * not block in its poll while an immediate is pending).
 */
export function loopTurn(): LoopTurn {
  const turn = { passed: false };
  setImmediate(() => {
    turn.passed = true;
  });
  return turn;
}

/** Resolves after one turn of the event loop — at once when `since` passed one already. */
export async function turnAfter(since?: LoopTurn): Promise<void> {
  if (since?.passed) return;
  await new Promise((resolve) => setImmediate(resolve));
}
