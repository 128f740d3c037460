// Node types of the inspector's browser tests (loaded by the server through SPANE_NODES).
const failedOnce = new Set();

/** @param {import('@spane/core').NodeRegistry} registry */
export default function register(registry) {
  // Waits config.ms (or until cancelled), then passes its input on with `waited`.
  registry.register(
    'slow',
    {
      async execute(ctx) {
        const ms = Number(ctx.nodeConfig?.ms ?? 1000);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
        ctx.log.info(`waited ${ms} ms`);
        return { success: true, data: { waited: ms, input: ctx.inputData } };
      },
    },
    { description: 'Waits config.ms, then passes its input on' },
  );
  // Fails the first time it runs in an execution, succeeds after (a DLQ retry runs it again).
  registry.register(
    'flaky',
    {
      async execute(ctx) {
        if (!failedOnce.has(ctx.executionId)) {
          failedOnce.add(ctx.executionId);
          return { success: false, error: 'flaky: the first attempt fails' };
        }
        return { success: true, data: { recovered: true } };
      },
    },
    { description: 'Fails once per execution' },
  );
}
