import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import {
  ENGINE_EVENT_NAMES,
  type EngineEventMap,
  type ExecutionEventName,
  ExecutionStateSchema,
  SkipReasonSchema,
} from '@spane/core';

/**
 * Schemas of what `GET /api/executions/{id}/events` sends: every frame's `event:` name and
 * the JSON of its `data:`. They document the stream in the OpenAPI document (component
 * `ExecutionStreamEvent`); the payload schemas are checked against core's
 * `EngineEventMap` at compile time below, so the two cannot drift apart.
 */

const ExecutionEventBase = {
  eventId: Type.String({
    description: 'Identifies the occurrence; a repeat (events are at-least-once) has the same id',
  }),
  executionId: Type.String(),
  workflowId: Type.String(),
  tenantId: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
};
const NodeEventBase = {
  ...ExecutionEventBase,
  nodeId: Type.String(),
  nodeType: Type.String(),
};
const attempt = Type.Integer({ minimum: 1, description: 'Attempt number, the first is 1' });

/** The `data:` of each engine event, by event name. */
export const ENGINE_EVENT_PAYLOAD_SCHEMAS = {
  'workflow:started': Type.Object(ExecutionEventBase),
  'workflow:completed': Type.Object(ExecutionEventBase),
  'workflow:failed': Type.Object({
    ...ExecutionEventBase,
    error: Type.String(),
    nodeId: Type.Optional(Type.String({ description: 'The node that failed for good' })),
  }),
  'workflow:cancelled': Type.Object({
    ...ExecutionEventBase,
    reason: Type.Optional(Type.String({ description: 'Set when not a plain cancel' })),
  }),
  'workflow:paused': Type.Object(ExecutionEventBase),
  'workflow:resumed': Type.Object(ExecutionEventBase),
  'node:started': Type.Object({ ...NodeEventBase, attempt }),
  'node:completed': Type.Object({
    ...NodeEventBase,
    attempt,
    durationMs: Type.Number({ minimum: 0 }),
  }),
  'node:failed': Type.Object({
    ...NodeEventBase,
    attempt,
    error: Type.String(),
    final: Type.Boolean({ description: 'True when no attempt follows' }),
  }),
  'node:retrying': Type.Object({
    ...NodeEventBase,
    attempt,
    error: Type.String(),
    delayMs: Type.Number({ minimum: 0, description: 'The next attempt starts after this' }),
  }),
  'node:skipped': Type.Object({ ...NodeEventBase, reason: SkipReasonSchema }),
} satisfies Record<ExecutionEventName, TObject>;

/** What each frame means, for the documentation. */
export const STREAM_EVENT_MEANINGS: Readonly<
  Record<'state' | ExecutionEventName | 'error', string>
> = Object.freeze({
  state: 'the whole `ExecutionState`: the first frame, and the last one once the run has ended',
  'workflow:started': 'the execution was created',
  'workflow:completed': 'every node is settled and the execution completed',
  'workflow:failed': 'a node failed for good: `nodeId` and its `error`',
  'workflow:cancelled': 'the execution was cancelled; `reason` when not a plain cancel',
  'workflow:paused': 'a pause took effect',
  'workflow:resumed': 'a resume took effect',
  'node:started': 'an attempt of a node began',
  'node:completed': "a node's result was recorded (`durationMs`)",
  'node:failed': 'an attempt failed; `final` when no attempt follows',
  'node:retrying': 'an attempt failed and the next starts after `delayMs`',
  'node:skipped': 'a node was skipped, with the `reason`',
  error: 'the final state could not be read (`{ code, message }`); the stream ends',
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type PayloadsMatch = {
  [K in ExecutionEventName]: Same<
    Static<(typeof ENGINE_EVENT_PAYLOAD_SCHEMAS)[K]>,
    EngineEventMap[K]
  >;
};
// Fails to compile when an engine event's payload and its schema above differ.
const payloadsMatchEngineEvents: PayloadsMatch[ExecutionEventName] extends true ? true : false =
  true;
void payloadsMatchEngineEvents;

function frame(event: string, data: TSchema): TObject {
  return Type.Object(
    { event: Type.Literal(event), data },
    {
      description: `event: ${event} — ${STREAM_EVENT_MEANINGS[event as keyof typeof STREAM_EVENT_MEANINGS]}`,
      additionalProperties: false,
    },
  );
}

/**
 * One frame of the execution event stream: `event` is the SSE `event:` line, `data` the
 * JSON of its `data:` line (`$id` `ExecutionStreamEvent`).
 */
export const ExecutionStreamEventSchema = Type.Union(
  [
    frame('state', ExecutionStateSchema),
    ...ENGINE_EVENT_NAMES.map((name) => frame(name, ENGINE_EVENT_PAYLOAD_SCHEMAS[name])),
    frame(
      'error',
      Type.Object({
        code: Type.String(),
        message: Type.String(),
        details: Type.Optional(Type.Unknown()),
      }),
    ),
  ],
  {
    $id: 'ExecutionStreamEvent',
    description:
      'One Server-Sent Events frame of GET /api/executions/{id}/events: `event` is its `event:` line, `data` the JSON of its `data:` line',
  },
);

/** The description of the event stream's 200 response: the frames in the order they come. */
export function eventStreamDescription(): string {
  const lines = Object.entries(STREAM_EVENT_MEANINGS).map(
    ([event, meaning]) => `- \`${event}\`: ${meaning}`,
  );
  return [
    'A `text/event-stream`. Each frame is `event: <name>` and `data: <JSON>` (then a blank line); the component `ExecutionStreamEvent` has the JSON of every frame:',
    '',
    ...lines,
    '',
    'Engine events come in the order they happen and only for this execution. Comment lines (`: keep-alive`) keep the connection open. The stream closes after the last `state` frame.',
  ].join('\n');
}
