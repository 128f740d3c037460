import { type Static, type TSchema, Type } from '@sinclair/typebox';
import {
  DLQItemSchema,
  ExecutionExplanationSchema,
  ExecutionStateSchema,
  ExecutionStatusSchema,
  LogEntrySchema,
  RetryPolicySchema,
  SpanSchema,
  WorkflowDefinitionSchema,
} from '@spane/core';
import { ExecutionStreamEventSchema } from './event-stream-schemas.js';
import { SchemaComponents } from './schema-components.js';
import { MAX_START_DELAY_MS } from './start-options.js';

/**
 * Request and response schemas of the API, built from core's TypeBox schemas (the one
 * schema source). Route schemas refer to shared components; see {@link SchemaComponents}.
 */
export const components = new SchemaComponents();

const IdString = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' });
const OpaqueId = Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_.:-]+$' });

// ── components ─────────────────────────────────────────────────────────

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. WORKFLOW_NOT_FOUND' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error response has this shape' },
);

export const StoredWorkflowSchema = Type.Object(
  {
    tenantId: Type.String(),
    workflowId: Type.String(),
    version: Type.String({ description: 'Content hash of the definition' }),
    definition: WorkflowDefinitionSchema,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'StoredWorkflow', description: 'A saved version of a workflow definition' },
);

export const ExecutionSummarySchema = Type.Omit(
  ExecutionStateSchema,
  ['nodeResults', 'initialData'],
  {
    $id: 'ExecutionSummary',
    description: 'An execution without its node results and initial data',
  },
);

export const EnqueueOptionsSchema = Type.Object(
  {
    priority: Type.Optional(
      // BullMQ's largest priority (2^21 - 1), as the engine checks it.
      Type.Integer({ minimum: 1, maximum: 2_097_151, description: '1 = highest' }),
    ),
    delayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_START_DELAY_MS,
        description: 'Start later, by at most 366 days',
      }),
    ),
    runAt: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Start at this time, at most 366 days ahead (400 beyond)',
      }),
    ),
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'The same key (per tenant) returns the same execution id',
      }),
    ),
  },
  { $id: 'EnqueueOptions', additionalProperties: false },
);

export const QueueCountsSchema = Type.Object(
  {
    waiting: Type.Integer(),
    active: Type.Integer(),
    delayed: Type.Integer(),
    completed: Type.Integer(),
    failed: Type.Integer(),
    paused: Type.Integer(),
    prioritized: Type.Integer(),
  },
  { $id: 'QueueCounts', description: 'Node jobs in the shared queue, by state (all tenants)' },
);

/** Live and stuck worker processes (counts only). */
function WorkerCountsSchema() {
  return Type.Object({
    live: Type.Integer({ description: 'Worker processes whose heartbeat has not expired' }),
    stuck: Type.Integer({
      description:
        'Live workers with a free slot that took no job for longer than `workerStuckAfterMs` while jobs wait',
    }),
  });
}

export const HealthSchema = Type.Object(
  {
    ok: Type.Boolean(),
    redis: Type.Boolean(),
    store: Type.Boolean(),
    workers: Type.Union([Type.Boolean(), Type.Null()], {
      description: 'null when this process runs no workers',
    }),
    liveWorkers: Type.Optional(
      Type.Union([WorkerCountsSchema(), Type.Null()], {
        description:
          "Worker processes of the engine's prefix with a live heartbeat, and those of them stuck; null when Redis did not answer in time. Does not change `ok`",
      }),
    ),
  },
  { $id: 'Health' },
);

const JsonSchemaObject = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), {
    description: `${description} (a JSON Schema, draft 2020-12)`,
  });

export const NodeTypeInfoSchema = Type.Object(
  {
    type: Type.String({ description: 'The name nodes use as their `type`' }),
    builtIn: Type.Boolean({
      description: 'True for the types the engine runs itself (delay, sub-workflow)',
    }),
    description: Type.Optional(Type.String()),
    config: Type.Optional(JsonSchemaObject("A node's `config`, checked at registration")),
    input: Type.Optional(JsonSchemaObject("A run's input, checked before the executor runs")),
    output: Type.Optional(JsonSchemaObject("A successful run's output, checked after it")),
    rateLimit: Type.Optional(
      Type.Object(
        { max: Type.Integer(), durationMs: Type.Integer() },
        {
          description: 'At most `max` runs start per `durationMs`, across all workers',
        },
      ),
    ),
    concurrency: Type.Optional(
      Type.Integer({ description: 'At most this many runs at once, across all workers' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ description: 'Attempt timeout when the node and workflow set none' }),
    ),
    retry: Type.Optional(RetryPolicySchema),
    breaker: Type.Optional(
      Type.Object(
        {
          failureRate: Type.Number({ description: 'Share of failed attempts that opens it' }),
          minimumRuns: Type.Integer({ description: 'Fewest attempts in the window judged' }),
          windowMs: Type.Integer({ description: 'How far back attempts count' }),
          openMs: Type.Integer({ description: 'How long it stays open before one probe' }),
          state: Type.Optional(
            Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')], {
              description: 'Now, across every engine process (absent when Redis did not answer)',
            }),
          ),
          opensUntil: Type.Optional(
            Type.String({
              format: 'date-time',
              description: 'Open: when the probe may run; half-open: when the probe lease ends',
            }),
          ),
        },
        {
          description:
            "The type's circuit breaker: while open its nodes' jobs wait delayed, other types run",
        },
      ),
    ),
  },
  { $id: 'NodeTypeInfo', description: 'A node type the server offers' },
);

// ── requests ───────────────────────────────────────────────────────────

export const WorkflowParams = Type.Object({ id: IdString });
export type WorkflowParams = Static<typeof WorkflowParams>;

export const IdParams = Type.Object({ id: OpaqueId });
export type IdParams = Static<typeof IdParams>;

/** The webhook route's tenant and `*` (what fastify validates). */
export const WebhookParams = Type.Object({
  tenant: IdString,
  '*': Type.String({ maxLength: 512 }),
});
export type WebhookParams = Static<typeof WebhookParams>;
/** The same parameters as the OpenAPI document names them: `/api/webhooks/{tenant}/{path}`. */
export const WebhookPathParams = Type.Object({
  tenant: Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[A-Za-z0-9_.-]+$',
    description:
      "The tenant whose trigger this is (the tenant of the API key that registered the workflow; 'default' without auth); a path is unique within a tenant",
  }),
  path: Type.String({
    maxLength: 512,
    description:
      "The rest of the path after /api/webhooks/{tenant}/, as the trigger's `path` has it; it may contain '/' (sent as it is or percent-encoded as %2F)",
  }),
});

export const WorkflowQuery = Type.Object(
  { version: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);
export type WorkflowQuery = Static<typeof WorkflowQuery>;

export const ExecuteBody = Type.Object(
  {
    initialData: Type.Optional(
      Type.Unknown({ description: 'Input of the entry nodes (any JSON, at most 1 MiB)' }),
    ),
    options: Type.Optional(EnqueueOptionsSchema),
  },
  {
    additionalProperties: false,
    description:
      'The input goes in `initialData`; any other top-level field is refused (400 naming it)',
  },
);
export type ExecuteBody = Static<typeof ExecuteBody>;

export const BulkExecuteBody = Type.Array(
  Type.Object(
    {
      workflowId: IdString,
      initialData: Type.Optional(Type.Unknown({ description: 'Input of the entry nodes' })),
      options: Type.Optional(EnqueueOptionsSchema),
    },
    { additionalProperties: false },
  ),
  {
    minItems: 1,
    maxItems: 1000,
    description: 'One item per execution; an unknown field in any item is refused (400 naming it)',
  },
);
export type BulkExecuteBody = Static<typeof BulkExecuteBody>;

export const ListExecutionsQuery = Type.Object(
  {
    workflowId: Type.Optional(IdString),
    status: Type.Optional(
      Type.Array(ExecutionStatusSchema, {
        maxItems: 6,
        description: 'Repeat to match several (status=running&status=paused)',
      }),
    ),
    createdAfter: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Only executions created at or after this time (createdAt >= createdAfter)',
      }),
    ),
    createdBefore: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Only executions created before this time (createdAt < createdBefore)',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type ListExecutionsQuery = Static<typeof ListExecutionsQuery>;

export const ReplayBody = Type.Object(
  { fromNodeId: Type.Optional(IdString) },
  { additionalProperties: false },
);
export type ReplayBody = Static<typeof ReplayBody>;

export const DLQQuery = Type.Object(
  {
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  },
  { additionalProperties: false },
);
export type DLQQuery = Static<typeof DLQQuery>;

// ── responses ──────────────────────────────────────────────────────────

export const WorkflowList = Type.Object(
  { items: Type.Array(StoredWorkflowSchema) },
  { description: 'Stored workflows' },
);
export const ExecutionAccepted = Type.Object(
  { executionId: Type.String() },
  { description: 'The execution was created; a worker runs it' },
);
export const ExecutionsAccepted = Type.Object(
  { executionIds: Type.Array(Type.String(), { description: 'In request order' }) },
  { description: 'The executions were created' },
);
export const ExecutionPageSchema = Type.Object(
  {
    items: Type.Array(ExecutionSummarySchema),
    nextCursor: Type.Optional(Type.String({ description: 'Absent on the last page' })),
  },
  { description: 'A page of executions, newest first' },
);
/** The path parameters of `POST /api/executions/:id/signals/:name`. */
export const SignalParams = Type.Object({
  id: OpaqueId,
  name: Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[A-Za-z0-9_.-]+$',
    description: "The `name` of one of the execution's wait-for-signal nodes",
  }),
});
export type SignalParams = Static<typeof SignalParams>;
/** A signal's payload: any JSON value (no body: null). */
export const SignalPayload = Type.Unknown({
  description:
    "The signal's payload, any JSON value: the output of the wait-for-signal node (no body: null)",
});
export const SignalAccepted = Type.Object(
  {
    executionId: Type.String(),
    name: Type.String(),
    accepted: Type.Literal(true),
  },
  {
    description:
      'The signal was kept: the wait-for-signal node completes with it now, or when it starts waiting',
  },
);
export const ExecutionStatusResult = Type.Object(
  { executionId: Type.String(), status: ExecutionStatusSchema },
  { description: 'The status after the action' },
);
export const LogList = Type.Object(
  { items: Type.Array(LogEntrySchema) },
  { description: 'Log lines, oldest first' },
);
export const SpanList = Type.Object(
  { items: Type.Array(SpanSchema) },
  { description: 'One span per node attempt' },
);
export const DLQPage = Type.Object(
  { items: Type.Array(DLQItemSchema) },
  { description: 'Dead-lettered nodes, newest first' },
);
export const DLQRetried = Type.Object(
  { id: Type.String(), executionId: Type.String() },
  { description: 'The node runs again' },
);
export const StatsSchema = Type.Object(
  {
    queue: QueueCountsSchema,
    dlq: Type.Integer({ description: "Dead-letter items of the caller's tenant" }),
    workers: Type.Optional(WorkerCountsSchema()),
  },
  { description: 'Queue counts, DLQ size and live workers' },
);
export const LiveSchema = Type.Object(
  { status: Type.Literal('ok') },
  { description: 'The process serves HTTP' },
);
export const NodeTypeList = Type.Object(
  { items: Type.Array(NodeTypeInfoSchema) },
  { description: 'Every node type a definition may use' },
);
export {
  DLQItemSchema,
  ExecutionExplanationSchema,
  ExecutionStateSchema,
  WorkflowDefinitionSchema,
};

// Every component, registered up front (route schemas only refer to these).
for (const schema of [
  ErrorSchema,
  StoredWorkflowSchema,
  ExecutionSummarySchema,
  EnqueueOptionsSchema,
  QueueCountsSchema,
  HealthSchema,
  WorkflowDefinitionSchema,
  ExecutionStateSchema,
  ExecutionStatusSchema,
  LogEntrySchema,
  SpanSchema,
  DLQItemSchema,
  ExecutionStreamEventSchema,
  NodeTypeInfoSchema,
  ExecutionExplanationSchema,
]) {
  components.ref(schema);
}

/** Error responses every route may give, as fastify response-schema entries. */
export function errorResponses(): Record<string, TSchema> {
  const ref = components.ref(ErrorSchema);
  return { '4xx': ref, '5xx': ref };
}
