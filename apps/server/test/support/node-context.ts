import type { ExecutionContext } from '@spane/core';

/** The context an executor gets from the engine, for calling a built-in node directly. */
export function nodeContext(
  nodeConfig: Record<string, unknown>,
  inputData: unknown = {},
  signal: AbortSignal = new AbortController().signal,
): ExecutionContext {
  const noop = () => {};
  return {
    workflowId: 'wf',
    executionId: 'exec-1',
    nodeId: 'node',
    nodeType: 'test',
    nodeConfig,
    inputData,
    previousResults: {},
    initialData: inputData,
    attempt: 1,
    depth: 0,
    tenantId: 'default',
    signal,
    log: { debug: noop, info: noop, warn: noop, error: noop },
  };
}
