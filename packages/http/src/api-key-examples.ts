import type { OperationExamples } from './openapi-examples.js';

const created = {
  id: 'key_3q2-7wEjS8iXbQxN',
  tenantId: 'acme',
  scopes: ['read', 'execute'],
  prefix: 'spane_W0xv9K',
  name: 'ci deploys',
  createdAt: '2026-01-05T09:30:00.000Z',
  expiresAt: '2026-02-04T09:30:00.000Z',
};

/** Examples of the `/api/keys` operations, by operationId (merged into `OPERATION_EXAMPLES`). */
export const API_KEY_EXAMPLES: Readonly<Record<string, OperationExamples>> = Object.freeze({
  createApiKey: {
    request: {
      thirtyDays: {
        summary: 'A key that may read and start executions, for 30 days',
        value: { scopes: ['read', 'execute'], name: 'ci deploys', expiresIn: '30d' },
      },
    },
    responses: {
      201: {
        created: {
          summary: 'The key itself is in this answer only',
          value: { ...created, key: 'spane_W0xv9K1qL7fM2cYtA8hZr4uJ0pNe6sGbD3kVw5iXoTy' },
        },
      },
    },
  },
  listApiKeys: {
    responses: {
      200: {
        one: {
          summary: 'One key, neither the key nor its hash',
          value: { items: [{ ...created, expired: false }] },
        },
      },
    },
  },
});
