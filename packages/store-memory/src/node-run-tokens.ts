import { InvalidArgumentError, startedRunToken } from '@spane/core/store';

/**
 * The run tokens holding an execution's nodes (fencing, see `ExecutionStore.beginNodeRun`).
 * Only a `running`, `delayed` or `waiting` node is held; every write that moves a node to
 * another status releases it. A node held by no token accepts any caller.
 */
export class RunTokens {
  readonly #byNode = new Map<string, string>();

  /** The token holding the node, if any. */
  holder(nodeId: string): string | undefined {
    return this.#byNode.get(nodeId);
  }

  /**
   * True when a caller presenting `runToken` is fenced out: it gave a token, and the node
   * is held by another one.
   */
  fences(nodeId: string, runToken: string | undefined): boolean {
    const holder = this.#byNode.get(nodeId);
    return runToken !== undefined && holder !== undefined && holder !== runToken;
  }

  /** The node is now held by `runToken`, or by no token when it is undefined. */
  hold(nodeId: string, runToken: string | undefined): void {
    if (runToken === undefined) this.#byNode.delete(nodeId);
    else this.#byNode.set(nodeId, runToken);
  }

  /** A node started by the write of the run holding `runToken` (`startedRunToken`). */
  holdStarted(nodeId: string, runToken: string | undefined): void {
    this.hold(nodeId, runToken === undefined ? undefined : startedRunToken(runToken, nodeId));
  }

  /** No run holds the node any more (it was settled, cancelled, queued or reset). */
  release(nodeId: string): void {
    this.#byNode.delete(nodeId);
  }
}

/**
 * Checks a call's run token. @throws InvalidArgumentError unless it is absent or a
 * non-empty string.
 */
export function checkRunToken(runToken: string | undefined): void {
  if (runToken !== undefined && (typeof runToken !== 'string' || runToken.length === 0)) {
    throw new InvalidArgumentError('runToken must be a non-empty string');
  }
}
