import { type Static, Type } from '@sinclair/typebox';

/**
 * The one schema source for workflow definitions: the TypeScript types below are derived
 * from these TypeBox (JSON Schema) objects, `validateWorkflow` checks values against
 * them, and the HTTP layer uses them for request validation and OpenAPI.
 */

const Id = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' });
const PositiveInt = Type.Integer({ minimum: 1 });
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free-form data for tools (e.g. a visual editor); ignored by the engine',
});

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
          delayMs: Type.Integer({ minimum: 0 }),
          maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'RetryPolicy', additionalProperties: false },
);
export type RetryPolicy = Static<typeof RetryPolicySchema>;

export const HttpMethodSchema = Type.Union([
  Type.Literal('GET'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('PATCH'),
  Type.Literal('DELETE'),
]);
export type HttpMethod = Static<typeof HttpMethodSchema>;

export const WebhookTriggerSchema = Type.Object(
  {
    type: Type.Literal('webhook'),
    path: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^/?[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*/?$',
      description: 'Served at /api/webhooks/<path>; several segments allowed',
    }),
    method: Type.Optional(HttpMethodSchema),
    secret: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export const ScheduleTriggerSchema = Type.Object(
  {
    type: Type.Literal('schedule'),
    cron: Type.String({ minLength: 1, maxLength: 256 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    initialData: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export const EventTriggerSchema = Type.Object(
  {
    type: Type.Literal('event'),
    event: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export const TriggerSchema = Type.Union(
  [WebhookTriggerSchema, ScheduleTriggerSchema, EventTriggerSchema],
  {
    $id: 'Trigger',
  },
);
export type WebhookTrigger = Static<typeof WebhookTriggerSchema>;
export type ScheduleTrigger = Static<typeof ScheduleTriggerSchema>;
export type EventTrigger = Static<typeof EventTriggerSchema>;
export type Trigger = Static<typeof TriggerSchema>;

export const NodeDefinitionSchema = Type.Object(
  {
    id: Id,
    type: Type.String({ minLength: 1, maxLength: 128 }),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    inputs: Type.Optional(Type.Array(Type.String(), { description: 'Parent node ids' })),
    outputs: Type.Optional(Type.Array(Type.String(), { description: 'Child node ids' })),
    retry: Type.Optional(RetryPolicySchema),
    timeoutMs: Type.Optional(PositiveInt),
    continueOnFail: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'NodeDefinition', additionalProperties: false },
);
export type NodeDefinition = Static<typeof NodeDefinitionSchema>;

export const WorkflowDefinitionSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    entryNodeId: Type.Optional(Type.String()),
    nodes: Type.Array(NodeDefinitionSchema, { minItems: 1 }),
    maxConcurrency: Type.Optional(PositiveInt),
    timeoutMs: Type.Optional(PositiveInt),
    triggers: Type.Optional(Type.Array(TriggerSchema)),
    defaults: Type.Optional(
      Type.Object(
        { retry: Type.Optional(RetryPolicySchema), timeoutMs: Type.Optional(PositiveInt) },
        { additionalProperties: false },
      ),
    ),
    metadata: Type.Optional(Metadata),
  },
  { $id: 'WorkflowDefinition', additionalProperties: false },
);
export type WorkflowDefinition = Static<typeof WorkflowDefinitionSchema>;
