/**
 * Compile-time tests of the typed workflow builder, checked by `tsc` (the package's
 * `typecheck` script; this file is not run). Each `@ts-expect-error` line must be an error:
 * if the builder stopped catching the mistake, tsc would fail with "Unused
 * '@ts-expect-error' directive".
 */
import { Type } from '@sinclair/typebox';
import { expectTypeOf } from 'vitest';
import {
  builtInNodeTypes,
  defineNodeType,
  defineWorkflow,
  type HttpNodeConfig,
  type INodeExecutor,
  NodeRegistry,
  type NodeTypeDefinition,
  type WorkflowBuilder,
  type WorkflowDefinition,
} from '../src/index.js';

const { http, noop, transform, switch: switchType, delay, subWorkflow } = builtInNodeTypes;
const two = defineWorkflow('w')
  .node('a', 'step')
  .node('b', 'step', { inputs: ['a'] });

// Ids accumulate as a union of string literals; build() gives a plain WorkflowDefinition.
expectTypeOf(two).toEqualTypeOf<WorkflowBuilder<'a' | 'b'>>();
expectTypeOf(two.build()).toEqualTypeOf<WorkflowDefinition>();

// --- node ids --------------------------------------------------------------------------
defineWorkflow('w')
  .node('a', 'step')
  // @ts-expect-error a parent that is not declared
  .node('b', 'step', { inputs: ['nope'] });
defineWorkflow('w')
  // @ts-expect-error a parent declared after the node is not declared yet
  .node('a', 'step', { inputs: ['b'] })
  .node('b', 'step');
// @ts-expect-error an edge from an undeclared node
two.edge('nope', 'b');
// @ts-expect-error an edge into an undeclared node
two.edge('a', 'nope');
// @ts-expect-error an edge from a node to itself
two.edge('a', 'a');
// @ts-expect-error an entry node that is not declared
two.entry('nope');
// @ts-expect-error a node id declared twice
two.node('a', 'step');
// A builder that does not track ids takes any (build() reports the bad ones).
defineWorkflow<string>('w')
  .node('a', 'step')
  .node('a', 'step', { inputs: ['x'] })
  .edge('y', 'z');

// --- config typed by the node type -----------------------------------------------------
two.node('fetch', http, { config: { url: 'https://example.com', method: 'POST' }, inputs: ['b'] });
// @ts-expect-error http: a config key the schema does not have
two.node('fetch', http, { config: { url: 'https://example.com', verb: 'POST' } });
two.node('fetch', http, { config: { url: 'https://example.com', failOnStatus: true } });
// @ts-expect-error http: failOnStatus is a boolean
two.node('fetch', http, { config: { url: 'https://example.com', failOnStatus: 'yes' } });
// @ts-expect-error http: the required url is missing
two.node('fetch', http, { config: { method: 'GET' } });
// @ts-expect-error http: no config at all (url is required)
two.node('fetch', http, { inputs: ['a'] });
// @ts-expect-error http: no spec at all (url is required)
two.node('fetch', http);
// @ts-expect-error http: a method the schema does not list
two.node('fetch', http, { config: { url: 'https://example.com', method: 'FETCH' } });
// @ts-expect-error http: timeoutMs is a number
two.node('fetch', http, { config: { url: 'https://example.com', timeoutMs: '5s' } });
// noop takes no config keys, and needs no spec.
two.node('n', noop).node('m', noop, { config: {}, inputs: ['n'] });
// @ts-expect-error noop: any key is one too many
two.node('n', noop, { config: { anything: 1 } });
two.node('t', transform, { config: { pick: ['input.a'], set: { 'input.b': 1 } } });
// @ts-expect-error transform: pick is a list of paths
two.node('t', transform, { config: { pick: 'input.a' } });
two.node('s', switchType, { config: { path: 'input.kind', cases: { x: ['a'] } } });
// @ts-expect-error switch: a case lists node ids
two.node('s', switchType, { config: { path: 'input.kind', cases: { x: 'a' } } });
two.node('d', delay, { config: { durationMs: 10 } }).node('e', delay, { config: { until: 'x' } });
// @ts-expect-error delay: one of durationMs and until is required
two.node('d', delay, { config: {} });
// @ts-expect-error delay: not both durationMs and until
two.node('d', delay, { config: { durationMs: 10, until: '2030-01-01' } });
// @ts-expect-error sub-workflow: workflowId is required
two.node('sub', subWorkflow, { config: { inputMapping: { a: 'input.a' } } });
// A type given by name takes any config.
two.node('x', 'my-type', { config: { whatever: [1, { deep: true }] } });

// --- the other node fields are typed as in NodeDefinition --------------------------------
two.node('r', 'step', { retry: { attempts: 3 }, timeoutMs: 5, continueOnFail: true });
// @ts-expect-error retry.attempts is a number
two.node('r', 'step', { retry: { attempts: '3' } });
// @ts-expect-error outputs is not a builder field (children are declared after their parents)
two.node('r', 'step', { outputs: ['a'] });
// @ts-expect-error a trigger of an unknown kind
two.trigger({ type: 'email', address: 'x@example.com' });
// @ts-expect-error nodes are not an option of defineWorkflow
defineWorkflow('w', { nodes: [] });

// --- defineNodeType ----------------------------------------------------------------------
const greet = defineNodeType('greet', {
  config: Type.Object({ greeting: Type.String(), times: Type.Optional(Type.Integer()) }),
  input: Type.Object({ name: Type.String() }),
  output: Type.String(),
});
expectTypeOf(greet).toEqualTypeOf<
  NodeTypeDefinition<'greet', { greeting: string; times?: number }, { name: string }, string>
>();
const greetExecutor = greet.executor(async (ctx) => {
  expectTypeOf(ctx.nodeConfig.greeting).toEqualTypeOf<string>();
  expectTypeOf(ctx.inputData.name).toEqualTypeOf<string>();
  // @ts-expect-error the config has no such key
  ctx.nodeConfig.salutation;
  return { success: true, data: `${ctx.nodeConfig.greeting}, ${ctx.inputData.name}` };
});
// @ts-expect-error the output is a string
greet.executor(async () => ({ success: true, data: 42 }));
// A typed executor registers like any other.
new NodeRegistry().register(greet.type, greetExecutor, greet.options);
expectTypeOf(greetExecutor).toExtend<INodeExecutor>();
two.node('hello', greet, { config: { greeting: 'Hi' }, inputs: ['a'] });
// @ts-expect-error greet: greeting is required
two.node('hello', greet, { config: { times: 2 } });

// A plain JSON Schema is accepted, and leaves the config untyped.
const loose = defineNodeType('loose', { config: { type: 'object' } });
expectTypeOf(loose).toEqualTypeOf<
  NodeTypeDefinition<'loose', Record<string, unknown>, unknown, unknown>
>();
two.node('l', loose, { config: { anything: true } });
// The built-in definitions carry the config types of built-in-node-schemas.ts.
expectTypeOf(http).toEqualTypeOf<NodeTypeDefinition<'http', HttpNodeConfig, unknown, unknown>>();
