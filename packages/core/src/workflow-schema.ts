import { type Static, Type } from '@sinclair/typebox';
import { MAX_TIMEOUT_MS, MAX_WORKFLOW_TIMEOUT_MS } from './limits.js';
import { Secretable } from './secret-refs.js';

/**
 * The one schema source for workflow definitions: the TypeScript types below are derived
 * from these TypeBox (JSON Schema) objects, `validateWorkflow` checks values against
 * them, and the HTTP layer uses them for request validation and OpenAPI.
 */

const Id = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' });
const PositiveInt = Type.Integer({ minimum: 1 });
/** A node attempt timeout: at most {@link MAX_TIMEOUT_MS}. */
export const NodeTimeoutMs = Type.Integer({
  minimum: 1,
  maximum: MAX_TIMEOUT_MS,
  description: 'Attempt timeout in ms, at most 2147483647 (about 24.8 days)',
});
/** A retry backoff delay: at most {@link MAX_TIMEOUT_MS}. */
const BackoffMs = Type.Integer({
  minimum: 0,
  maximum: MAX_TIMEOUT_MS,
  description: 'In ms, at most 2147483647 (about 24.8 days)',
});
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free-form data for tools (e.g. a visual editor); ignored by the engine',
});

/** JSON schema of {@link RetryPolicy} (`$id` `RetryPolicy`). */
export const RetryPolicySchema = Type.Object(
  {
    attempts: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Total attempts, first included',
    }),
    backoff: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')]),
          delayMs: BackoffMs,
          maxDelayMs: Type.Optional(BackoffMs),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'RetryPolicy', additionalProperties: false },
);
/**
 * How a failed node is retried: `attempts` in total (first included, 1–1000), and an
 * optional `backoff` between them — `fixed` waits `delayMs` each time, `exponential`
 * doubles `delayMs` after each retry; both capped by `maxDelayMs`, and never longer than
 * `MAX_TIMEOUT_MS` (both delays are at most that, too). Without `backoff`, retries start
 * at once.
 */
export type RetryPolicy = Static<typeof RetryPolicySchema>;

/** JSON schema of {@link HttpMethod}. */
export const HttpMethodSchema = Type.Union([
  Type.Literal('GET'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('PATCH'),
  Type.Literal('DELETE'),
]);
/** HTTP method of a webhook trigger. */
export type HttpMethod = Static<typeof HttpMethodSchema>;

/** JSON schema of {@link WebhookTrigger}. */
export const WebhookTriggerSchema = Type.Object(
  {
    type: Type.Literal('webhook'),
    path: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^/?[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*/?$',
      description:
        "Served at /api/webhooks/<tenant>/<path>, in the workflow's tenant only; several segments allowed",
    }),
    method: Type.Optional(HttpMethodSchema),
    secret: Type.Optional(
      Secretable(
        Type.String({
          minLength: 1,
          description:
            'HMAC key of signed deliveries; an engine with secrets moves a literal into the vault',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
/** JSON schema of {@link ScheduleTrigger}. */
export const ScheduleTriggerSchema = Type.Object(
  {
    type: Type.Literal('schedule'),
    cron: Type.String({ minLength: 1, maxLength: 256 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    initialData: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
/** JSON schema of {@link EventTrigger}. */
export const EventTriggerSchema = Type.Object(
  {
    type: Type.Literal('event'),
    event: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
/** JSON schema of {@link Trigger} (`$id` `Trigger`). */
export const TriggerSchema = Type.Union(
  [WebhookTriggerSchema, ScheduleTriggerSchema, EventTriggerSchema],
  {
    $id: 'Trigger',
  },
);
/**
 * Starts the workflow when a request arrives on `path` with `method` (default `POST`); with
 * a `secret`, only requests signed with it (headers `x-spane-delivery` and
 * `x-spane-signature`, see `signWebhook` in `@spane/bullmq`). The secret is a literal
 * string or a reference `{ "$secret": "name" }` to a secret of the tenant, read when a
 * delivery is verified. The path belongs to the
 * workflow's tenant: other tenants' triggers on the same path are other routes.
 */
export type WebhookTrigger = Static<typeof WebhookTriggerSchema>;
/** Starts the workflow on a cron schedule (5 or 6 fields, in `timezone` when given) with `initialData`. */
export type ScheduleTrigger = Static<typeof ScheduleTriggerSchema>;
/** Starts the workflow, with the payload as initial data, when `event` is emitted in its tenant (`emitEvent`). */
export type EventTrigger = Static<typeof EventTriggerSchema>;
/** What starts a workflow besides an explicit enqueue: a webhook, a schedule or an event. */
export type Trigger = Static<typeof TriggerSchema>;

/** JSON schema of {@link NodeDefinition} (`$id` `NodeDefinition`). */
export const NodeDefinitionSchema = Type.Object(
  {
    id: Id,
    type: Type.String({ minLength: 1, maxLength: 128 }),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "The node's settings, checked at registration against its type's config schema (see GET /api/node-types)",
      }),
    ),
    inputs: Type.Optional(Type.Array(Type.String(), { description: 'Parent node ids' })),
    outputs: Type.Optional(Type.Array(Type.String(), { description: 'Child node ids' })),
    retry: Type.Optional(RetryPolicySchema),
    timeoutMs: Type.Optional(NodeTimeoutMs),
    continueOnFail: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'NodeDefinition', additionalProperties: false },
);
/**
 * One node of a workflow: its `id`, its node `type` (a registered executor, or the
 * built-in `delay` and `sub-workflow`), its `config`, its edges (`inputs`: parent ids,
 * `outputs`: child ids; either side may list an edge) and its own `retry`, `timeoutMs` and
 * `continueOnFail`.
 */
export type NodeDefinition = Static<typeof NodeDefinitionSchema>;

/** JSON schema of {@link WorkflowDefinition} (`$id` `WorkflowDefinition`). */
export const WorkflowDefinitionSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    entryNodeId: Type.Optional(Type.String()),
    nodes: Type.Array(NodeDefinitionSchema, { minItems: 1 }),
    maxConcurrency: Type.Optional(PositiveInt),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_WORKFLOW_TIMEOUT_MS,
        description: 'Timeout of a whole execution in ms, at most 31536000000 (365 days)',
      }),
    ),
    triggers: Type.Optional(Type.Array(TriggerSchema)),
    defaults: Type.Optional(
      Type.Object(
        { retry: Type.Optional(RetryPolicySchema), timeoutMs: Type.Optional(NodeTimeoutMs) },
        { additionalProperties: false },
      ),
    ),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'WorkflowDefinition', additionalProperties: false },
);
/**
 * A workflow as data: its `nodes` (a DAG), an optional `entryNodeId`, `maxConcurrency`
 * (nodes of the workflow running at once across all executions), `timeoutMs` (of a whole
 * execution), `triggers` and `defaults` (`retry`, `timeoutMs`) for its nodes. Its version
 * is the content hash of the definition.
 */
export type WorkflowDefinition = Static<typeof WorkflowDefinitionSchema>;
