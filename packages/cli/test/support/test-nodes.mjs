// Node types for the CLI's tests, loaded by the test server as its SPANE_NODES module.

/** Executions whose `flaky` node has failed once already. */
const failedOnce = new Set();

export default (registry) => {
  // Fails for good, without retries.
  registry.register('fail', {
    execute: async (ctx) => ({
      success: false,
      error: `boom: ${ctx.nodeConfig.message ?? 'failed'}`,
      retryable: false,
    }),
  });
  // Fails for good the first time it runs in an execution, succeeds when run again (DLQ retry).
  registry.register('flaky', {
    execute: async (ctx) => {
      if (failedOnce.has(ctx.executionId)) return { success: true, data: { recovered: true } };
      failedOnce.add(ctx.executionId);
      return { success: false, error: 'flaky: the first run fails', retryable: false };
    },
  });
  // Runs until its execution is cancelled (or for `ms`, 60 s by default).
  registry.register('hold', {
    execute: (ctx) =>
      new Promise((resolve) => {
        const timer = setTimeout(
          () => resolve({ success: true, data: 'held' }),
          ctx.nodeConfig.ms ?? 60_000,
        );
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve({ success: false, error: 'stopped', retryable: false });
        });
      }),
  });
};
