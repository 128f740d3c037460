import { type Static, Type } from '@sinclair/typebox';

/**
 * Schemas (and derived types) of execution state as stores return it and the HTTP API
 * serves it. Timestamps are ISO-8601 strings in UTC.
 */

/** JSON schema of {@link ExecutionStatus} (`$id` `ExecutionStatus`). */
export const ExecutionStatusSchema = Type.Union(
  [
    Type.Literal('pending'),
    Type.Literal('running'),
    Type.Literal('paused'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ],
  { $id: 'ExecutionStatus' },
);
/** Lifecycle of an execution. `completed`, `failed` and `cancelled` are terminal (a failed one may be revived by a DLQ retry). */
export type ExecutionStatus = Static<typeof ExecutionStatusSchema>;

/** JSON schema of {@link NodeStatus} (`$id` `NodeStatus`). */
export const NodeStatusSchema = Type.Union(
  [
    Type.Literal('pending'),
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('waiting'),
    Type.Literal('delayed'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('skipped'),
    Type.Literal('cancelled'),
  ],
  { $id: 'NodeStatus' },
);
/**
 * Lifecycle of one node in one execution: `pending` (parents not settled) → `queued`
 * (ready, a job exists or is about to) → `running` → `completed` | `failed`; or `skipped`.
 * `waiting` is a sub-workflow node waiting for its child, `delayed` a delay node or a
 * retry waiting for its time; `cancelled` a node stopped by cancel or by the execution failing.
 */
export type NodeStatus = Static<typeof NodeStatusSchema>;

/** JSON schema of {@link SkipReason}. */
export const SkipReasonSchema = Type.Union([
  Type.Literal('not-selected'),
  Type.Literal('upstream-skipped'),
  Type.Literal('unreachable'),
]);
/**
 * Why a node was skipped: `not-selected` (a parent's `nextNodes` left it out),
 * `upstream-skipped` (every parent was skipped), `unreachable` (not reachable from the
 * workflow's `entryNodeId`).
 */
export type SkipReason = Static<typeof SkipReasonSchema>;

/** JSON schema of {@link NodeState} (`$id` `NodeState`). */
export const NodeStateSchema = Type.Object(
  {
    status: NodeStatusSchema,
    data: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String()),
    attempts: Type.Integer({ minimum: 0 }),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
    skipReason: Type.Optional(SkipReasonSchema),
    nextNodes: Type.Optional(Type.Array(Type.String())),
    continuedOnFail: Type.Optional(Type.Boolean()),
    items: Type.Optional(
      Type.Object(
        {
          total: Type.Integer({ minimum: 0 }),
          done: Type.Integer({ minimum: 0 }),
          failed: Type.Integer({ minimum: 0 }),
          running: Type.Integer({ minimum: 0 }),
        },
        {
          description:
            "A map node's items while it waits for them: how many in all, done, failed and running (added by the engine's reads; stores never keep it)",
        },
      ),
    ),
  },
  { $id: 'NodeState' },
);
/** What an execution records about one node. */
export type NodeState = Static<typeof NodeStateSchema>;

/** JSON schema of {@link ExecutionState} (`$id` `ExecutionState`), as the HTTP API serves it. */
export const ExecutionStateSchema = Type.Object(
  {
    executionId: Type.String(),
    workflowId: Type.String(),
    workflowVersion: Type.String(),
    tenantId: Type.String({ description: "Owner tenant; 'default' in single-tenant use" }),
    status: ExecutionStatusSchema,
    nodeResults: Type.Record(Type.String(), NodeStateSchema),
    initialData: Type.Optional(Type.Unknown()),
    createdAt: Type.String(),
    startedAt: Type.Optional(Type.String()),
    completedAt: Type.Optional(Type.String()),
    parentExecutionId: Type.Optional(Type.String()),
    parentNodeId: Type.Optional(Type.String()),
    depth: Type.Integer({ minimum: 0 }),
    priority: Type.Optional(Type.Integer({ minimum: 1 })),
    idempotencyKey: Type.Optional(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    error: Type.Optional(Type.String()),
    version: Type.Integer({
      minimum: 0,
      description: 'Optimistic-lock counter; bumped by every change',
    }),
  },
  { $id: 'ExecutionState' },
);
/** The state of one execution of a workflow. */
export type ExecutionState = Static<typeof ExecutionStateSchema>;

/** JSON schema of {@link LogEntry} (`$id` `LogEntry`). */
export const LogEntrySchema = Type.Object(
  {
    executionId: Type.String(),
    nodeId: Type.Optional(Type.String()),
    level: Type.Union([
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
    ]),
    message: Type.String(),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    timestamp: Type.String(),
  },
  { $id: 'LogEntry' },
);
/** One log line of an execution: an engine event or a `ctx.log` call. */
export type LogEntry = Static<typeof LogEntrySchema>;
/** Level of a {@link LogEntry}: `debug`, `info`, `warn` or `error`. */
export type LogLevel = LogEntry['level'];

/** JSON schema of {@link Span} (`$id` `Span`). */
export const SpanSchema = Type.Object(
  {
    spanId: Type.String(),
    executionId: Type.String(),
    nodeId: Type.String(),
    nodeType: Type.Optional(Type.String()),
    attempt: Type.Integer({ minimum: 1 }),
    startedAt: Type.String(),
    finishedAt: Type.Optional(Type.String()),
    status: Type.Union([Type.Literal('running'), Type.Literal('ok'), Type.Literal('error')]),
    error: Type.Optional(Type.String()),
  },
  { $id: 'Span' },
);
/** One node attempt in an execution's trace. */
export type Span = Static<typeof SpanSchema>;

/** JSON schema of {@link DLQItem} (`$id` `DLQItem`). */
export const DLQItemSchema = Type.Object(
  {
    id: Type.String(),
    workflowId: Type.String(),
    executionId: Type.String(),
    nodeId: Type.String(),
    tenantId: Type.Optional(Type.String()),
    inputData: Type.Optional(Type.Unknown()),
    error: Type.String(),
    stack: Type.Optional(Type.String()),
    attempts: Type.Integer({ minimum: 0 }),
    failedAt: Type.String(),
  },
  { $id: 'DLQItem' },
);
/** A node that failed for good, kept with what is needed to run it again. */
export type DLQItem = Static<typeof DLQItemSchema>;
