/** The workflow and node types every process of the postgres example registers. */
import type { NodeRegistry, WorkflowDefinition } from '@spane/core';

export const reportWorkflow: WorkflowDefinition = {
  id: 'nightly-report',
  name: 'Nightly report',
  nodes: [
    { id: 'collect', type: 'collect' },
    { id: 'render', type: 'render', inputs: ['collect'] },
    { id: 'publish', type: 'publish', inputs: ['render'] },
  ],
};

/** How long `render` works; long enough to kill its process while it runs. */
export const RENDER_MS = 1_500;

export function registerReportTypes(registry: NodeRegistry, say: (line: string) => void): void {
  registry.register('collect', {
    execute: async () => ({ success: true, data: { rows: 1200, collectedBy: process.pid } }),
  });
  registry.register('render', {
    execute: async (ctx) => {
      say(`render started (attempt ${ctx.attempt}) in process ${process.pid}`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, RENDER_MS);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        });
      });
      say(`render finished in process ${process.pid}`);
      return { success: true, data: { pages: ctx.inputData.rows / 100, renderedBy: process.pid } };
    },
  });
  registry.register('publish', {
    execute: async (ctx) => ({
      success: true,
      data: {
        url: `https://reports.example/${ctx.executionId}`,
        pages: ctx.inputData.pages,
        publishedBy: process.pid,
      },
    }),
  });
}
