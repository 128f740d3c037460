type JsonObject = Record<string, unknown>;

const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Operations the rate limits never apply to: the health probes. */
const UNLIMITED_OPERATIONS: ReadonlySet<string> = new Set(['live', 'ready']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RETRY_AFTER = {
  description: 'Seconds until the limit resets',
  schema: { type: 'integer', minimum: 1 },
};

/**
 * Documents the rate limits: a `429` response (`RATE_LIMITED`, with `Retry-After`) on
 * every operation but the health probes, with the body schema of the operation's `4xx`;
 * an operation that already has a 429 (a quota's `QUOTA_EXCEEDED`) gets both descriptions.
 * Changes `doc` in place.
 */
export function addRateLimitResponses(doc: JsonObject): void {
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const method of PATH_ITEM_METHODS) {
      const operation = item[method];
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      if (UNLIMITED_OPERATIONS.has(String(operation.operationId))) continue;
      const clientError = operation.responses['4XX'] ?? operation.responses['4xx'];
      const content = isObject(clientError) ? clientError.content : undefined;
      const before = operation.responses['429'];
      const rateLimited =
        '`RATE_LIMITED`: too many requests with this API key, from this address without a key, or after too many failed authentications from this address';
      operation.responses['429'] = {
        description:
          isObject(before) && typeof before.description === 'string'
            ? `${rateLimited} (with \`Retry-After\`). Or ${before.description}`
            : rateLimited,
        headers: { 'Retry-After': RETRY_AFTER },
        ...(isObject(content) ? { content } : {}),
      };
    }
  }
}
