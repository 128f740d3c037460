/**
 * Request and response examples of the main operations, by operationId, added to the
 * OpenAPI document's media types. Each value must match its schema: the package's tests
 * check every example against the document and send the request examples to a server.
 */

import { API_KEY_EXAMPLES } from './api-key-examples.js';
import { EXPLAIN_EXAMPLES } from './explain-examples.js';

/** An OpenAPI Example Object. */
export interface OpenApiExample {
  summary: string;
  value: unknown;
}

/** The examples of one operation: of its JSON request body, and of its responses by status. */
export interface OperationExamples {
  request?: Readonly<Record<string, OpenApiExample>>;
  responses?: Readonly<Record<string, Readonly<Record<string, OpenApiExample>>>>;
}

const definition = {
  id: 'order-flow',
  name: 'Order flow',
  nodes: [
    { id: 'pick', type: 'transform', config: { pick: ['order.id', 'order.total'] } },
    {
      id: 'notify',
      type: 'http',
      inputs: ['pick'],
      config: { url: 'https://hooks.example.com/orders', method: 'POST' },
      retry: { attempts: 3, backoff: { type: 'exponential', delayMs: 1000 } },
    },
  ],
};

const stored = {
  tenantId: 'acme',
  workflowId: 'order-flow',
  version: 'b5868c0182c4830c',
  definition,
  createdAt: '2026-01-05T09:30:00.000Z',
};

const executionId = '48504b8c-714e-4698-80d2-63b22118aa4a';
const initialData = { order: { id: 'o-1001', total: 42.5 } };

const summary = {
  executionId,
  workflowId: 'order-flow',
  workflowVersion: 'b5868c0182c4830c',
  tenantId: 'acme',
  status: 'completed',
  createdAt: '2026-01-05T09:31:00.000Z',
  startedAt: '2026-01-05T09:31:00.010Z',
  completedAt: '2026-01-05T09:31:00.420Z',
  depth: 0,
  priority: 1,
  idempotencyKey: 'order-o-1001',
  metadata: {},
  version: 5,
};

const state = {
  ...summary,
  initialData,
  nodeResults: {
    pick: {
      status: 'completed',
      attempts: 1,
      data: { order: { id: 'o-1001', total: 42.5 } },
      startedAt: '2026-01-05T09:31:00.012Z',
      finishedAt: '2026-01-05T09:31:00.030Z',
    },
    notify: {
      status: 'completed',
      attempts: 1,
      data: { status: 200 },
      startedAt: '2026-01-05T09:31:00.035Z',
      finishedAt: '2026-01-05T09:31:00.418Z',
    },
  },
};

const unknownField = {
  summary:
    'An unknown field is refused, never dropped (here the data was not wrapped in initialData)',
  value: {
    error: {
      code: 'BAD_REQUEST',
      message: 'Invalid body: /body/order is not a known field',
      details: { issues: [{ path: '/body/order', message: 'is not a known field' }] },
    },
  },
};

const secretInfo = {
  name: 'crm-token',
  createdAt: '2026-01-05T09:00:00.000Z',
  updatedAt: '2026-01-05T09:00:00.000Z',
  dataKeyVersion: 1,
};

/** Examples of the main operations, by operationId. */
export const OPERATION_EXAMPLES: Readonly<Record<string, OperationExamples>> = Object.freeze({
  registerWorkflow: {
    request: {
      twoNodes: {
        summary: 'Two nodes: pick fields of the input, then POST them (node types of apps/server)',
        value: definition,
      },
    },
    responses: { 201: { registered: { summary: 'The stored first version', value: stored } } },
  },
  listWorkflows: {
    responses: { 200: { one: { summary: 'One workflow', value: { items: [stored] } } } },
  },
  executeWorkflow: {
    request: {
      input: { summary: 'Input for the entry nodes', value: { initialData } },
      options: {
        summary: 'With a priority and an idempotency key',
        value: { initialData, options: { priority: 1, idempotencyKey: 'order-o-1001' } },
      },
    },
    responses: {
      202: { started: { summary: 'The new execution', value: { executionId } } },
      '4XX': { unknownField },
    },
  },
  executeWorkflows: {
    request: {
      two: {
        summary: 'Two executions; the second starts a minute later',
        value: [
          { workflowId: 'order-flow', initialData },
          {
            workflowId: 'order-flow',
            initialData: { order: { id: 'o-1002', total: 7 } },
            options: { delayMs: 60_000 },
          },
        ],
      },
    },
    responses: {
      202: {
        started: {
          summary: 'Their ids, in request order',
          value: {
            executionIds: [executionId, '5e0c7c1e-2f0a-4c55-9b7b-6f3f4a1d2c10'],
          },
        },
      },
    },
  },
  listExecutions: {
    responses: {
      200: {
        page: {
          summary: 'A page with more to come (pass nextCursor as cursor)',
          value: { items: [summary], nextCursor: 'eyJjIjoiMjAyNi0wMS0wNVQwOTozMTowMC4wMDBaIn0' },
        },
      },
    },
  },
  putSecret: {
    request: {
      value: {
        summary: 'The value (never answered back)',
        value: { value: 'tok_live_51H8example' },
      },
    },
    responses: {
      201: { created: { summary: 'A new secret: its name and timestamps', value: secretInfo } },
      200: {
        replaced: {
          summary: 'The value was replaced',
          value: { ...secretInfo, updatedAt: '2026-02-01T12:00:00.000Z' },
        },
      },
    },
  },
  listSecrets: {
    responses: {
      200: {
        page: {
          summary: 'Names and timestamps, never values',
          value: { items: [secretInfo], nextCursor: 'crm-token' },
        },
      },
    },
  },
  signalExecution: {
    request: {
      approval: {
        summary: "An approval step's decision: the wait-for-signal node's output",
        value: { approved: true, approver: 'ann@example.com' },
      },
    },
    responses: {
      202: {
        accepted: {
          summary: 'The signal was kept',
          value: { executionId, name: 'approval', accepted: true },
        },
      },
      '4XX': {
        alreadyReceived: {
          summary: 'A signal of that name came first',
          value: {
            error: {
              code: 'SIGNAL_REJECTED',
              message: `Signal 'approval' of execution '${executionId}' was already received`,
              details: { executionId, name: 'approval', reason: 'already-received' },
            },
          },
        },
      },
    },
  },
  getExecution: {
    responses: { 200: { completed: { summary: 'A completed execution', value: state } } },
  },
  ...EXPLAIN_EXAMPLES,
  ...API_KEY_EXAMPLES,
});
