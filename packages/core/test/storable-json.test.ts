import { describe, expect, it } from 'vitest';
import {
  assertPayloadSize,
  compileWorkflow,
  MAX_JSON_DEPTH,
  PayloadNotStorableError,
  validateWorkflow,
  WorkflowValidationError,
} from '../src/index.js';
import { findUnstorable, payloadText } from '../src/internal.js';
import { node, workflow } from './helpers.js';

/** Objects nested `levels` deep: `{ a: { a: … {} } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

function circular(): Record<string, unknown> {
  const value: Record<string, unknown> = { list: [1] };
  (value.list as unknown[]).push({ back: value });
  return value;
}

const throwingToJson = {
  fine: 1,
  when: {
    toJSON() {
      throw new Error('no JSON for you');
    },
  },
};

describe('findUnstorable', () => {
  it('accepts JSON data, dates, shared (not circular) objects and left-out undefined properties', () => {
    const shared = { x: 1 };
    for (const ok of [
      null,
      0,
      'text',
      [1, 'two', { three: [3] }],
      { at: new Date(0), skipped: undefined, a: shared, b: shared },
      nested(MAX_JSON_DEPTH),
    ]) {
      expect(findUnstorable(ok, MAX_JSON_DEPTH)).toBeUndefined();
    }
  });

  it('names what cannot be stored and where', () => {
    const cases: [unknown, string, string | RegExp][] = [
      [{ n: { big: 10n } }, '/n/big', 'a BigInt'],
      [[1, () => 2], '/1', 'a function'],
      [{ s: Symbol('s') }, '/s', 'a symbol'],
      [{ text: ['ok', 'a\u0000b'] }, '/text/1', 'a string containing the character U+0000'],
      [{ 'k\u0000': 1 }, '/k\u0000', 'a key containing the character U+0000'],
      [
        { text: ['\ud83d\ude00', 'a\ud800'] },
        '/text/1',
        'a string containing a lone UTF-16 surrogate (U+D800 to U+DFFF without its pair)',
      ],
      [
        { ok: '\ud83d\ude00', '\ude00\ud83d': 1 },
        '/\ude00\ud83d',
        'a key containing a lone UTF-16 surrogate (U+D800 to U+DFFF without its pair)',
      ],
      // Found by the careful pass too (a toJSON makes the survey step aside).
      [{ at: new Date(0), w: { toJSON: () => 'x\udbff' } }, '/w', /lone UTF-16 surrogate/],
      [{ 'a/b~c': 1n }, '/a~1b~0c', 'a BigInt'],
      [circular(), '/list/1/back', 'a circular reference'],
      [throwingToJson, '', /an error while serialising it: no JSON for you/],
      // What a toJSON returns is checked too, not only the value it was called on.
      [{ wrap: { toJSON: () => ({ f: () => 1 }) } }, '/wrap/f', 'a function'],
      [
        { when: new Date(0), deep: { toJSON: () => nested(MAX_JSON_DEPTH) } },
        `/deep${'/a'.repeat(MAX_JSON_DEPTH - 1)}`,
        /deeper than 100 levels/,
      ],
      [nested(MAX_JSON_DEPTH + 1), `${'/a'.repeat(MAX_JSON_DEPTH)}`, /deeper than 100 levels/],
      [nested(2_000), `${'/a'.repeat(MAX_JSON_DEPTH)}`, /deeper than 100 levels/],
    ];
    for (const [value, path, reason] of cases) {
      const found = findUnstorable(value, MAX_JSON_DEPTH);
      expect(found?.path).toBe(path);
      if (typeof reason === 'string') expect(found?.reason).toBe(reason);
      else expect(found?.reason).toMatch(reason);
    }
  });

  it('counts a top-level array or object as one level', () => {
    expect(findUnstorable([[]], 2)).toBeUndefined();
    expect(findUnstorable([[[]]], 2)?.path).toBe('/0/0');
  });
});

describe('payloadText', () => {
  it('throws PayloadNotStorableError with the place and reason, when found before the limit', () => {
    try {
      payloadText("output of node 'N'", { deep: { v: 1n, pad: 'x'.repeat(100) } }, 20);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PayloadNotStorableError);
      expect(e).toMatchObject({
        code: 'PAYLOAD_NOT_STORABLE',
        path: '/deep/v',
        reason: 'a BigInt',
        details: { path: '/deep/v', reason: 'a BigInt' },
      });
      expect((e as Error).message).toBe(
        "output of node 'N' cannot be stored as JSON: a BigInt at /deep/v",
      );
    }
    expect(() => assertPayloadSize('initialData', circular(), 1_000)).toThrow(
      PayloadNotStorableError,
    );
  });

  it('returns the JSON text JSON.stringify gives, and undefined for undefined', () => {
    const withToJson = { toJSON: () => ({ v: [1, 'two'] }) };
    const escapedBackslash = { text: 'a\\u0000b' }; // a backslash, then "u0000": fine
    for (const value of [
      { a: [1, null, 'x'], at: new Date(0), skipped: undefined },
      withToJson,
      escapedBackslash,
      'plain',
    ]) {
      expect(payloadText('x', value, 1_000)).toBe(JSON.stringify(value));
    }
    expect(payloadText('x', undefined, 0)).toBeUndefined();
  });
});

describe('validateWorkflow: data that cannot be stored', () => {
  it('reports config nested past MAX_JSON_DEPTH and a BigInt in config as NOT_STORABLE, naming the node and path', () => {
    const deep = workflow([node('a'), node('b', { config: { d: nested(2_000) } })]);
    const big = workflow([node('a', { config: { limits: { max: 10n } } })]);
    const deepIssues = validateWorkflow(deep).issues;
    expect(deepIssues).toEqual([
      expect.objectContaining({
        code: 'NOT_STORABLE',
        severity: 'error',
        path: `/nodes/1/config/d${'/a'.repeat(MAX_JSON_DEPTH - 1)}`,
      }),
    ]);
    expect(deepIssues[0]?.message).toMatch(/^config of node 'b' cannot be stored as JSON: nesting/);
    const bigIssues = validateWorkflow(big).issues;
    expect(bigIssues).toEqual([
      {
        code: 'NOT_STORABLE',
        severity: 'error',
        path: '/nodes/0/config/limits/max',
        message: "config of node 'a' cannot be stored as JSON: a BigInt at /limits/max",
      },
    ]);
    // compileWorkflow (and so registerWorkflow) throws the validation error, not a raw one.
    for (const def of [deep, big]) {
      expect(() => compileWorkflow(def)).toThrow(WorkflowValidationError);
    }
  });

  it('allows config exactly MAX_JSON_DEPTH deep and checks metadata, schedule data and names', () => {
    expect(validateWorkflow(workflow([node('a', { config: nested(MAX_JSON_DEPTH) })])).valid).toBe(
      true,
    );
    const def = workflow([node('a', { metadata: { f: () => 1 } })], {
      metadata: { self: circular() },
      triggers: [{ type: 'schedule', cron: '* * * * *', initialData: { s: Symbol('x') } }],
    });
    expect(
      validateWorkflow(def)
        .issues.filter((i) => i.code === 'NOT_STORABLE')
        .map((i) => i.path),
    ).toEqual(['/nodes/0/metadata/f', '/metadata/self/list/1/back', '/triggers/0/initialData/s']);
    const named = workflow([node('a')], { name: 'nul\u0000name' });
    expect(validateWorkflow(named).issues).toEqual([
      expect.objectContaining({ code: 'NOT_STORABLE', path: '/name' }),
    ]);
  });
});
