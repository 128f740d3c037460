import type { INodeExecutor } from '@spane/core';

/** `noop`: returns its `inputData` unchanged. Useful as a join point or a placeholder. */
export const noopNode: INodeExecutor = {
  async execute(ctx) {
    return { success: true, data: ctx.inputData };
  },
};
