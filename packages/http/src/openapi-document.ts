import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { OPERATION_EXAMPLES, type OperationExamples } from './openapi-examples.js';
import { addQuotaResponses } from './quota-openapi.js';
import { addRateLimitResponses } from './rate-limit-openapi.js';

type JsonObject = Record<string, unknown>;

/** The OpenAPI version of the document at `/docs/json`. */
export const OPENAPI_VERSION = '3.1.0';

/** Operations whose JSON body may be left out (it then counts as `{}`). */
const OPTIONAL_BODY_OPERATIONS: ReadonlySet<string> = new Set([
  'executeWorkflow',
  'replayExecution',
  'signalExecution',
  'triggerWebhookPost',
  'triggerWebhookPut',
  'triggerWebhookPatch',
]);

const NODE_CONFIG_DESCRIPTION =
  "The node type's settings; their shape depends on `type`. `GET /api/node-types` lists the node types this server has registered and the config each accepts.";

const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The options of `@fastify/swagger` for the API: an OpenAPI 3.1 document, finished by
 * {@link finishOpenApiDocument} (and with the 429 of the rate limits when `rateLimited`).
 */
export function openApiOptions(rateLimited = false): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: 'SPANE API',
        description:
          'Workflows (DAGs of typed nodes), their executions, events, dead letter queue and webhooks. Authenticate with `Authorization: Bearer <API key>`; the key decides the tenant. Request bodies and query strings are strict: a field the schema does not know answers 400 `BAD_REQUEST` naming it (`/body/order`), it is never silently dropped.',
        version: '1',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      tags: [
        { name: 'workflows', description: 'Workflow definitions and starting executions' },
        { name: 'node-types', description: 'The node types a definition may use' },
        { name: 'executions', description: 'Execution state, logs, trace, events, lifecycle' },
        { name: 'dlq', description: 'Dead letter queue' },
        {
          name: 'secrets',
          description:
            'Encrypted values that definitions refer to as { "$secret": name } (admin keys only; values never answered)',
        },
        {
          name: 'webhooks',
          description: 'Webhook triggers, per tenant (HMAC over delivery id and body, no API key)',
        },
        { name: 'stats', description: 'Queue statistics' },
        { name: 'auth', description: "The caller's key: tenant and scopes" },
        {
          name: 'keys',
          description: 'API keys kept in the store (hashed, shown once), per tenant (admin)',
        },
        { name: 'health', description: 'Probes and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const doc = finishOpenApiDocument(documentObject.openapiObject as JsonObject);
      addQuotaResponses(doc);
      if (rateLimited) addRateLimitResponses(doc);
      return doc;
    },
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What `@fastify/swagger` cannot say from the route schemas: examples of the main
 * operations, optional request bodies, and what a node's `config` is. Returns the same
 * document, changed in place (it is built afresh for this call and cached afterwards).
 */
export function finishOpenApiDocument(doc: JsonObject): JsonObject {
  describeNodeConfig(doc);
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const method of PATH_ITEM_METHODS) {
      const operation = item[method];
      if (!isObject(operation) || typeof operation.operationId !== 'string') continue;
      const requestBody = operation.requestBody;
      if (isObject(requestBody) && OPTIONAL_BODY_OPERATIONS.has(operation.operationId)) {
        requestBody.required = false;
      }
      const examples = OPERATION_EXAMPLES[operation.operationId];
      if (examples) addExamples(operation, examples);
    }
  }
  return doc;
}

function describeNodeConfig(doc: JsonObject): void {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const node = schemas.NodeDefinition;
  if (!isObject(node) || !isObject(node.properties) || !isObject(node.properties.config)) return;
  node.properties = {
    ...node.properties,
    config: { ...node.properties.config, description: NODE_CONFIG_DESCRIPTION },
  };
}

/** The JSON media type object of a request body or a response, when there is one. */
function jsonMedia(container: unknown): JsonObject | undefined {
  if (!isObject(container) || !isObject(container.content)) return undefined;
  const media = container.content['application/json'];
  return isObject(media) ? media : undefined;
}

function addExamples(operation: JsonObject, examples: OperationExamples): void {
  const requestMedia = jsonMedia(operation.requestBody);
  if (requestMedia && examples.request) requestMedia.examples = { ...examples.request };
  const responses = isObject(operation.responses) ? operation.responses : {};
  for (const [status, byName] of Object.entries(examples.responses ?? {})) {
    const media = jsonMedia(responses[status]);
    if (media) media.examples = { ...byName };
  }
}
