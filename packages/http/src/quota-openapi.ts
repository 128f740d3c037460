type JsonObject = Record<string, unknown>;

const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Operations a tenant's quotas can refuse: registrations and every kind of start. */
export const QUOTA_OPERATIONS: ReadonlySet<string> = new Set([
  'registerWorkflow',
  'executeWorkflow',
  'executeWorkflows',
  'replayExecution',
  'triggerWebhookGet',
  'triggerWebhookPost',
  'triggerWebhookPut',
  'triggerWebhookPatch',
  'triggerWebhookDelete',
]);

/** The description of the quota's 429. */
export const QUOTA_EXCEEDED_DESCRIPTION =
  "`QUOTA_EXCEEDED`: the tenant reached a quota (`details.quota`: `activeExecutions`, `workflows` or `schedules`, with its `limit`, the tenant's `current` count and the `requested` number); nothing was changed";

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Documents the tenants' quotas: a `429` response (`QUOTA_EXCEEDED`) on the operations
 * that register a workflow or start executions, with the body schema of the operation's
 * `4xx`. Changes `doc` in place.
 */
export function addQuotaResponses(doc: JsonObject): void {
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const method of PATH_ITEM_METHODS) {
      const operation = item[method];
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      if (!QUOTA_OPERATIONS.has(String(operation.operationId))) continue;
      const clientError = operation.responses['4XX'] ?? operation.responses['4xx'];
      const content = isObject(clientError) ? clientError.content : undefined;
      operation.responses['429'] = {
        description: QUOTA_EXCEEDED_DESCRIPTION,
        ...(isObject(content) ? { content } : {}),
      };
    }
  }
}
