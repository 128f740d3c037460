import { type Static, Type } from '@sinclair/typebox';
import { MAX_DELAY_NODE_MS } from './limits.js';
import { Secretable } from './secret-refs.js';
import { NodeTimeoutMs, RetryPolicySchema } from './workflow-schema.js';

/**
 * The `config` schemas of SPANE's built-in node types: `delay` and `sub-workflow` (run by
 * the engine itself) and `noop`, `transform`, `switch`, `http` (registered by
 * `apps/server`). Each is a JSON Schema (TypeBox); the TypeScript config types below are
 * derived from them, so the typed workflow builder and the registry's checks agree.
 */

const RESERVED_KEY = { not: { enum: ['__proto__', 'constructor', 'prototype'] } };
const DottedPathFrom = (root: 'input' | 'output') =>
  Type.String({
    pattern: `^${root}(\\.[^.]+)*$`,
    description: `A dotted path starting at '${root}', e.g. '${root}.a.b'`,
  });
const NodeIdList = Type.Array(Type.String({ minLength: 1 }), {
  description: 'Ids of child nodes to run',
});

/** JSON schema of {@link NoopNodeConfig}. */
export const NoopNodeConfigSchema = Type.Object({}, { additionalProperties: false });
/** `config` of a `noop` node: none (an empty object or no config). */
export type NoopNodeConfig = Static<typeof NoopNodeConfigSchema>;

/** JSON schema of {@link TransformNodeConfig}. */
export const TransformNodeConfigSchema = Type.Object(
  {
    pick: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Keep only these dotted paths (the result keeps their nesting)',
      }),
    ),
    rename: Type.Optional(
      Type.Record(Type.String(), Type.String({ minLength: 1 }), {
        description: 'Move the value at each key (a dotted path) to its value (a dotted path)',
      }),
    ),
    set: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Set each dotted path to a constant value',
      }),
    ),
  },
  { additionalProperties: false },
);
/** `config` of a `transform` node: `pick`, then `rename`, then `set`, each optional. */
export type TransformNodeConfig = Static<typeof TransformNodeConfigSchema>;

/** JSON schema of {@link SwitchNodeConfig}. */
export const SwitchNodeConfigSchema = Type.Object(
  {
    path: Type.String({
      pattern: '^input(\\.[^.]+)*$',
      description: "Where the value is read: 'input' (the whole input) or 'input.<dotted path>'",
    }),
    cases: Type.Record(Type.String(), NodeIdList, {
      description: 'Value (compared as a string) → the children to run',
    }),
    default: Type.Optional(NodeIdList),
  },
  { additionalProperties: false },
);
/** `config` of a `switch` node. */
export type SwitchNodeConfig = Static<typeof SwitchNodeConfigSchema>;

/** JSON schema of {@link HttpNodeConfig}. */
export const HttpNodeConfigSchema = Type.Object(
  {
    url: Secretable(
      Type.String({
        pattern: '^[hH][tT][tT][pP][sS]?://',
        description: 'http:// or https:// URL',
      }),
    ),
    method: Type.Optional(
      Type.Union(
        [
          Type.Literal('GET'),
          Type.Literal('HEAD'),
          Type.Literal('POST'),
          Type.Literal('PUT'),
          Type.Literal('PATCH'),
          Type.Literal('DELETE'),
          Type.Literal('OPTIONS'),
        ],
        { default: 'GET' },
      ),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Secretable(Type.String()), {
        description: 'Header values: strings or { "$secret": "name" }',
      }),
    ),
    body: Type.Optional(
      Type.Unknown({
        description:
          'A string is sent as is, anything else as JSON; not with GET/HEAD; may hold { "$secret": "name" } values',
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 300_000,
        default: 30_000,
        description: 'For the whole call, redirects included',
      }),
    ),
    maxBytes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10 * 1024 * 1024,
        default: 1024 * 1024,
        description: 'Largest response body accepted',
      }),
    ),
    failOnStatus: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'true: a final status of 400 or more fails the node (408, 429 and 5xx retried, other 4xx not); false: every status is a result',
      }),
    ),
  },
  { additionalProperties: false },
);
/**
 * `config` of an `http` node. `url`, header values and values inside `body` may be
 * secret references (`{ "$secret": "name" }`), resolved when the node runs. With
 * `failOnStatus` a final status ≥ 400 is a failed attempt (`408`, `429`, `5xx` retryable).
 */
export type HttpNodeConfig = Static<typeof HttpNodeConfigSchema>;

/** JSON schema of {@link DelayNodeConfig}. */
export const DelayNodeConfigSchema = Type.Union([
  Type.Object(
    {
      durationMs: Type.Integer({
        minimum: 0,
        maximum: MAX_DELAY_NODE_MS,
        description: 'Wait this long after the node starts (at most 366 days)',
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      until: Type.String({
        pattern:
          '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$',
        description:
          "An ISO-8601 date or time to wait until, e.g. '2030-01-01T09:00:00Z'; a time in the past does not wait",
      }),
    },
    { additionalProperties: false },
  ),
]);
/** `config` of a `delay` node: exactly one of `durationMs` and `until`. */
export type DelayNodeConfig = Static<typeof DelayNodeConfigSchema>;

const Mapping = (root: 'input' | 'output') =>
  Type.Record(Type.String(), DottedPathFrom(root), {
    propertyNames: { minLength: 1, ...RESERVED_KEY },
    description: `Target key → dotted path from '${root}'`,
  });

/** JSON schema of {@link SubWorkflowNodeConfig}. */
export const SubWorkflowNodeConfigSchema = Type.Object(
  {
    workflowId: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_.-]+$',
      description:
        "Id of the child workflow (A-Z a-z 0-9 _ . -); its current version runs, in the parent's tenant",
    }),
    inputMapping: Type.Optional(Mapping('input')),
    outputMapping: Type.Optional(Mapping('output')),
  },
  { additionalProperties: false },
);
/** `config` of a `sub-workflow` node; without a mapping the whole value passes. */
export type SubWorkflowNodeConfig = Static<typeof SubWorkflowNodeConfigSchema>;

const SignalName = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_.-]+$',
  description:
    "Name of the signal (A-Z a-z 0-9 _ . -), unique among the workflow's wait-for-signal nodes",
});

/** JSON schema of {@link WaitForSignalNodeConfig}. */
export const WaitForSignalNodeConfigSchema = Type.Object(
  {
    name: SignalName,
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_DELAY_NODE_MS,
        description:
          'How long to wait for the signal (ms, from when the node starts waiting); none: for ever',
      }),
    ),
    onTimeout: Type.Optional(
      Type.Union([Type.Literal('fail'), Type.Literal('continue')], {
        description:
          "On timeout: 'fail' the node (default), or 'continue' with the output { timedOut: true }",
      }),
    ),
  },
  { additionalProperties: false },
);
/**
 * `config` of a `wait-for-signal` node: it waits (holding no worker slot) until
 * `engine.signal(executionId, name, payload)` completes it with `payload` as its output.
 */
export type WaitForSignalNodeConfig = Static<typeof WaitForSignalNodeConfigSchema>;

/** The largest `concurrency` of a `map` node. */
export const MAX_MAP_CONCURRENCY = 1000;

const MapCommon = {
  items: DottedPathFrom('input'),
  concurrency: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_MAP_CONCURRENCY,
      description: 'How many items run at once (default 10)',
    }),
  ),
  onItemError: Type.Optional(
    Type.Union([Type.Literal('fail'), Type.Literal('collect')], {
      description:
        "An item that fails for good: 'fail' the node (default; the other items are cancelled), or 'collect' it and go on — the output is then { results, errors }",
    }),
  ),
};

/** JSON schema of {@link MapNodeConfig}. */
export const MapNodeConfigSchema = Type.Union([
  Type.Object(
    {
      ...MapCommon,
      workflowId: Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9_.-]+$',
        description:
          "Workflow run once per item as a child execution (its initial data: the item); its current version, in the parent's tenant",
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...MapCommon,
      nodeType: Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Node type run once per item (its input: the item)',
      }),
      nodeConfig: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description: "The item node's config (checked against the type's schema)",
        }),
      ),
      retry: Type.Optional(RetryPolicySchema),
      timeoutMs: Type.Optional(NodeTimeoutMs),
    },
    { additionalProperties: false },
  ),
]);
/**
 * `config` of a `map` node: the array at `items` (a dotted path into the node's input)
 * runs item by item — as child executions of `workflowId`, or as one node of `nodeType`
 * each — at most `concurrency` at once; the output is the items' results in input order.
 */
export type MapNodeConfig = Static<typeof MapNodeConfigSchema>;
