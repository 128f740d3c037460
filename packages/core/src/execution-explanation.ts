import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { ExecutionStatusSchema, NodeStatusSchema } from './execution-schema.js';

/**
 * Schemas (and derived types) of `engine.explain`: why each unfinished node of an
 * execution is not running (or what it runs), read from the store and Redis as they are
 * at the call. Timestamps are ISO-8601 strings in UTC.
 */

const Time = Type.String({ format: 'date-time' });
const Count = Type.Integer({ minimum: 0 });

const reason = <K extends string, P extends TProperties>(
  kind: K,
  properties: P,
  description: string,
) => Type.Object({ kind: Type.Literal(kind), ...properties }, { description });

/** JSON schema of {@link NodeWaitReason} (`$id` `NodeWaitReason`). */
export const NodeWaitReasonSchema = Type.Union(
  [
    reason(
      'waiting-for-parents',
      {
        parents: Type.Array(Type.Object({ nodeId: Type.String(), status: NodeStatusSchema })),
      },
      'Pending: these parents have not settled yet',
    ),
    reason(
      'queued',
      {
        queue: Type.String(),
        position: Type.Integer({ minimum: 1 }),
        ahead: Count,
      },
      'Its job waits in its queue: `ahead` jobs run before it (`position` = ahead + 1)',
    ),
    reason(
      'max-concurrency',
      {
        limit: Type.Integer({ minimum: 1 }),
        holders: Type.Array(Type.Object({ executionId: Type.String(), nodeId: Type.String() })),
      },
      "Its job waits for a slot of the workflow's maxConcurrency; `holders` run now",
    ),
    reason(
      'rate-limited',
      {
        nodeType: Type.String(),
        retryAt: Time,
        position: Type.Optional(Type.Integer({ minimum: 1 })),
        ahead: Type.Optional(Count),
      },
      "Its job waits: its node type's rate limit is used up until `retryAt`",
    ),
    reason(
      'type-concurrency',
      {
        nodeType: Type.String(),
        limit: Type.Integer({ minimum: 1 }),
        running: Count,
        position: Type.Optional(Type.Integer({ minimum: 1 })),
        ahead: Type.Optional(Count),
      },
      "Its job waits: `running` runs of its node type fill the type's concurrency",
    ),
    reason(
      'breaker-open',
      { nodeType: Type.String(), until: Time },
      "Its job waits for its node type's circuit breaker, open until `until`",
    ),
    reason('execution-paused', {}, 'The execution is paused: nothing starts until resume'),
    reason(
      'delayed',
      { until: Time },
      'Its job waits for its time (a delay node, a delayed start)',
    ),
    reason(
      'retrying',
      {
        attempt: Type.Integer({ minimum: 1 }),
        nextTryAt: Time,
        lastError: Type.Optional(Type.String()),
      },
      'An attempt failed: attempt number `attempt` runs at `nextTryAt`',
    ),
    reason(
      'running',
      {
        attempt: Count,
        startedAt: Type.Optional(Time),
        workerAlive: Type.Optional(Type.Boolean()),
      },
      "A worker runs it; `workerAlive` false: the worker's lock on the job expired",
    ),
    reason(
      'waiting-for-sub-workflow',
      { childExecutionId: Type.String(), childStatus: ExecutionStatusSchema },
      'A sub-workflow node waits for its child execution',
    ),
    reason(
      'waiting-for-signal',
      { name: Type.String(), timeoutAt: Type.Optional(Time) },
      'A wait-for-signal node waits for `engine.signal(executionId, name)`',
    ),
    reason(
      'map',
      {
        total: Type.Optional(Count),
        done: Type.Optional(Count),
        failed: Type.Optional(Count),
        running: Type.Optional(Count),
      },
      'A map node waits for its child executions',
    ),
    reason(
      'lost',
      { status: NodeStatusSchema, reconcileAt: Type.Optional(Time) },
      'The store says the node is scheduled but Redis has no job: reconcile re-adds it',
    ),
    reason('unknown', { detail: Type.String() }, 'None of the above'),
  ],
  { $id: 'NodeWaitReason' },
);
/**
 * Why a node is not running (or, kind `running`, what runs it): a discriminated union on
 * `kind`. `queued.ahead` counts the jobs of its queue a worker takes before it (BullMQ
 * takes its wait list first, then its prioritized set by priority). `retrying.attempt` is
 * the number of the attempt that runs next.
 */
export type NodeWaitReason = Static<typeof NodeWaitReasonSchema>;

/** The kinds of {@link NodeWaitReason}. */
export type NodeWaitReasonKind = NodeWaitReason['kind'];

/** JSON schema of {@link NodeExplanation} (`$id` `NodeExplanation`). */
export const NodeExplanationSchema = Type.Object(
  {
    nodeId: Type.String(),
    nodeType: Type.String(),
    status: NodeStatusSchema,
    reason: NodeWaitReasonSchema,
    message: Type.String({ description: 'The reason as a sentence' }),
  },
  { $id: 'NodeExplanation' },
);
/** One unfinished node of an execution and why it is where it is. */
export type NodeExplanation = Static<typeof NodeExplanationSchema>;

/** JSON schema of {@link ExecutionExplanation} (`$id` `ExecutionExplanation`). */
export const ExecutionExplanationSchema = Type.Object(
  {
    executionId: Type.String(),
    workflowId: Type.String(),
    status: ExecutionStatusSchema,
    explainedAt: Time,
    message: Type.String({ description: 'The execution as a sentence' }),
    nodes: Type.Array(NodeExplanationSchema, {
      description:
        'Every node not settled (pending, queued, running, delayed, waiting), in the order of the definition; empty once the execution ended',
    }),
  },
  { $id: 'ExecutionExplanation' },
);
/**
 * What `engine.explain` answers: the execution's status as a sentence, and each node that
 * is not settled with its {@link NodeWaitReason} and a sentence. Read-only, and a snapshot:
 * the store and Redis are read one after the other, so a node that moves meanwhile may be
 * explained by the state it just left.
 */
export type ExecutionExplanation = Static<typeof ExecutionExplanationSchema>;
