import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  compileJsonSchema,
  DelayNodeConfigSchema,
  formatSchemaProblems,
  HttpNodeConfigSchema,
  InvalidArgumentError,
  MAX_SCHEMA_PROBLEMS,
  NoopNodeConfigSchema,
  SubWorkflowNodeConfigSchema,
  SwitchNodeConfigSchema,
  TransformNodeConfigSchema,
} from '../src/index.js';

const config = (schema: unknown) =>
  compileJsonSchema(schema, { label: 'test schema', words: { root: 'config', key: 'option' } });

describe('compileJsonSchema', () => {
  it('accepts plain JSON Schemas and TypeBox schemas, with formats and annotation keywords', () => {
    const plain = compileJsonSchema(
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { mail: { type: 'string', format: 'email' } },
        'x-ui': { widget: 'mail' },
        examples: [{ mail: 'a@b.c' }],
      },
      { label: 'plain' },
    );
    expect(plain.problems({ mail: 'a@b.c' })).toEqual([]);
    expect(plain.problems({ mail: 'nope' })).toEqual([
      { path: '/mail', message: 'value.mail must be a valid email' },
    ]);
    const boxed = compileJsonSchema(Type.Object({ n: Type.Integer() }), { label: 'boxed' });
    expect(boxed.problems({ n: 1 })).toEqual([]);
    expect(boxed.problems({ n: 1.5 })).toEqual([
      { path: '/n', message: 'value.n must be an integer' },
    ]);
  });

  it('lets two schemas share an $id', () => {
    const a = compileJsonSchema({ $id: 'Same', type: 'string' }, { label: 'a' });
    const b = compileJsonSchema({ $id: 'Same', type: 'number' }, { label: 'b' });
    expect(a.problems('x')).toEqual([]);
    expect(b.problems(1)).toEqual([]);
  });

  it('refuses what is not a JSON Schema, naming it and saying why', () => {
    for (const bad of [
      { type: 'strin' },
      { properties: 5 },
      { $ref: 'elsewhere.json' },
      { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
    ]) {
      expect(() => compileJsonSchema(bad, { label: "config schema of node type 't'" })).toThrow(
        /^config schema of node type 't' is not a valid JSON Schema \(draft 2020-12\): ./,
      );
    }
    for (const bad of [null, 'string', [], 3, true]) {
      expect(() => compileJsonSchema(bad, { label: 'x' })).toThrow(InvalidArgumentError);
      expect(() => compileJsonSchema(bad, { label: 'x' })).toThrow(
        'x must be a JSON Schema object',
      );
    }
  });

  it('reports at most MAX_SCHEMA_PROBLEMS problems', () => {
    const check = config(Type.Object({}, { additionalProperties: false }));
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(check.problems(many)).toHaveLength(MAX_SCHEMA_PROBLEMS);
  });

  it('formats problems as one line', () => {
    const problems = [
      { path: '', message: "'a' is required" },
      { path: '/b', message: 'config.b must be a string' },
      { path: '/c', message: 'x' },
      { path: '/d', message: 'y' },
    ];
    expect(formatSchemaProblems(problems)).toBe(
      "/: 'a' is required; /b: config.b must be a string; /c: x (and 1 more)",
    );
  });
});

describe('messages for the built-in config schemas', () => {
  it('noop: no options', () => {
    expect(config(NoopNodeConfigSchema).problems({})).toEqual([]);
    expect(config(NoopNodeConfigSchema).problems({ x: 1 })).toEqual([
      { path: '/x', message: "unknown option 'x'" },
    ]);
  });

  it('transform: an unknown option, wrong types inside', () => {
    const check = config(TransformNodeConfigSchema);
    expect(check.problems({ pick: ['a.b'], rename: { a: 'b' }, set: { c: [1] } })).toEqual([]);
    expect(check.problems({ pik: ['a'] })).toEqual([
      { path: '/pik', message: "unknown option 'pik'" },
    ]);
    expect(check.problems({ pick: 'a', rename: { a: 3 } })).toEqual([
      { path: '/pick', message: 'config.pick must be an array' },
      { path: '/rename/a', message: 'config.rename.a must be a string' },
    ]);
    expect(check.problems({ pick: [''] })).toEqual([
      { path: '/pick/0', message: 'config.pick[0] must not be empty' },
    ]);
  });

  it('switch: required keys and the path pattern', () => {
    const check = config(SwitchNodeConfigSchema);
    expect(check.problems({ path: 'input.kind', cases: { a: ['A'] }, default: [] })).toEqual([]);
    expect(check.problems({ cases: {} })).toEqual([{ path: '', message: "'path' is required" }]);
    expect(check.problems({ path: 'kind', cases: { a: 'A' } })).toEqual([
      { path: '/path', message: expect.stringMatching(/^config\.path is not valid \(.*'input/) },
      { path: '/cases/a', message: 'config.cases.a must be an array' },
    ]);
  });

  it('http: url, method and limits', () => {
    const check = config(HttpNodeConfigSchema);
    expect(check.problems({ url: 'https://example.com', method: 'POST', body: {} })).toEqual([]);
    expect(check.problems({ method: 'GET' })).toEqual([{ path: '', message: "'url' is required" }]);
    expect(check.problems({ url: 'ftp://x', method: 'get', timeoutMs: 0 })).toEqual([
      { path: '/url', message: expect.stringMatching(/^config\.url is not valid \(/) },
      {
        path: '/method',
        message:
          "config.method must be one of 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE' or 'OPTIONS'",
      },
      { path: '/timeoutMs', message: 'config.timeoutMs must be >= 1' },
    ]);
  });

  it('delay: one message when neither alternative fits, the close one’s otherwise', () => {
    const check = config(DelayNodeConfigSchema);
    expect(check.problems({ durationMs: 0 })).toEqual([]);
    expect(check.problems({ until: '2030-01-01T00:00:00Z' })).toEqual([]);
    const neither = [{ path: '', message: 'config must be either { durationMs } or { until }' }];
    expect(check.problems({})).toEqual(neither);
    expect(check.problems({ durationMs: 5, until: '2030-01-01' })).toEqual(neither);
    expect(check.problems({ durationMs: -1 })).toEqual([
      { path: '/durationMs', message: 'config.durationMs must be >= 0' },
    ]);
    expect(check.problems({ until: 'tomorrow' })).toEqual([
      {
        path: '/until',
        message: expect.stringMatching(/^config\.until is not valid \(.*ISO-8601/),
      },
    ]);
  });

  it('sub-workflow: mappings and their keys', () => {
    const check = config(SubWorkflowNodeConfigSchema);
    expect(
      check.problems({ workflowId: 'child', inputMapping: { a: 'input.x' }, outputMapping: {} }),
    ).toEqual([]);
    expect(check.problems({ inputMapping: {} })).toEqual([
      { path: '', message: "'workflowId' is required" },
    ]);
    expect(
      check.problems({ workflowId: 'c', inputMapping: { a: 'output.b', constructor: 'input' } }),
    ).toEqual([
      {
        path: '/inputMapping/constructor',
        message: "key 'constructor' is not allowed in config.inputMapping",
      },
      {
        path: '/inputMapping/a',
        message:
          "config.inputMapping.a is not valid (A dotted path starting at 'input', e.g. 'input.a.b')",
      },
    ]);
  });
});

describe('messages for other schemas', () => {
  it('names nested unknown keys, missing keys and nested unions', () => {
    const check = config(
      Type.Object(
        {
          target: Type.Object({ host: Type.String() }, { additionalProperties: false }),
          mode: Type.Optional(Type.Union([Type.Literal('a'), Type.Literal('b')])),
          shape: Type.Optional(
            Type.Union([
              Type.Object({ r: Type.Number() }, { additionalProperties: false }),
              Type.Object({ w: Type.Number(), h: Type.Number() }, { additionalProperties: false }),
            ]),
          ),
          tags: Type.Optional(Type.Array(Type.String(), { uniqueItems: true, maxItems: 2 })),
        },
        { additionalProperties: false },
      ),
    );
    expect(
      check.problems({
        target: { hots: 'x' },
        mode: 'c',
        shape: { w: 1, h: 'x' },
        tags: ['a', 'a'],
      }),
    ).toEqual([
      { path: '/target', message: "'host' is required in config.target" },
      { path: '/target/hots', message: "unknown property 'hots' in config.target" },
      { path: '/mode', message: "config.mode must be one of 'a' or 'b'" },
      { path: '/shape/h', message: 'config.shape.h must be a number' },
      { path: '/tags', message: 'config.tags must not repeat an item (items 0 and 1 are equal)' },
    ]);
    expect(check.problems('x' as unknown)).toEqual([
      { path: '', message: 'config must be an object' },
    ]);
  });

  it('describes alternatives of several kinds', () => {
    const check = config({
      anyOf: [{ type: 'string' }, { type: 'object', properties: { a: {}, b: {} } }, { const: 3 }],
    });
    expect(check.problems(true)).toEqual([
      { path: '', message: 'config must be one of a string, { a?, b? } or 3' },
    ]);
  });
});
