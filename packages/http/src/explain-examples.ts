import type { OperationExamples } from './openapi-examples.js';

const executionId = '48504b8c-714e-4698-80d2-63b22118aa4a';
const holder = '9d1c6a52-3e8b-4f0e-a7c4-51b0e2d9f6aa';

const running = {
  executionId,
  workflowId: 'order-flow',
  status: 'running',
  explainedAt: '2026-01-05T09:31:02.000Z',
  message: 'execution is running: 3 nodes not finished',
  nodes: [
    {
      nodeId: 'notify',
      nodeType: 'http',
      status: 'delayed',
      reason: {
        kind: 'retrying',
        attempt: 2,
        nextTryAt: '2026-01-05T09:31:03.000Z',
        lastError: 'HTTP 503 from hooks.example.com',
      },
      message:
        'retrying: attempt 2 runs at 2026-01-05T09:31:03.000Z (last error: HTTP 503 from hooks.example.com)',
    },
    {
      nodeId: 'invoice',
      nodeType: 'pdf',
      status: 'delayed',
      reason: {
        kind: 'max-concurrency',
        limit: 1,
        holders: [{ executionId: holder, nodeId: 'invoice' }],
      },
      message: `waiting for a slot of the workflow's maxConcurrency (1), held by ${holder}/invoice`,
    },
    {
      nodeId: 'archive',
      nodeType: 'transform',
      status: 'pending',
      reason: {
        kind: 'waiting-for-parents',
        parents: [
          { nodeId: 'notify', status: 'delayed' },
          { nodeId: 'invoice', status: 'delayed' },
        ],
      },
      message: 'waiting for its parents notify (delayed), invoice (delayed)',
    },
  ],
};

/** Examples of `GET /api/executions/:id/explain` (merged into `OPERATION_EXAMPLES`). */
export const EXPLAIN_EXAMPLES: Readonly<Record<string, OperationExamples>> = Object.freeze({
  explainExecution: {
    responses: {
      200: {
        running: {
          summary: 'A node retrying, one waiting for a maxConcurrency slot, one for both',
          value: running,
        },
        completed: {
          summary: 'A finished execution: its status, no nodes',
          value: {
            executionId,
            workflowId: 'order-flow',
            status: 'completed',
            explainedAt: '2026-01-05T09:32:00.000Z',
            message: 'execution completed',
            nodes: [],
          },
        },
      },
    },
  },
});
