/**
 * The token that holds a node started by another run's store write (`createExecution` or
 * `completeNode` with `start` and `runToken`): the store and the engine derive it alike, so
 * the started node's job can present it to `beginNodeRun` and find its run already begun.
 */
export function startedRunToken(runToken: string, nodeId: string): string {
  return `${runToken}>${nodeId}`;
}
