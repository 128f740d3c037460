import { describe, expect, it } from 'vitest';
import {
  assertPayloadSize,
  canonicalJson,
  contentHash,
  DEFAULT_LIMITS,
  ENGINE_EVENT_NAMES,
  ID_PATTERN,
  PayloadTooLargeError,
} from '../src/index.js';
import { jsonByteLength } from '../src/internal.js';

describe('canonicalJson / contentHash', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson('x')).toBe('"x"');
  });

  it('drops undefined like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it("keeps an own '__proto__' key", () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe(
      '{"__proto__":{"x":1},"b":1}',
    );
  });

  it('hashes equal values alike and different values differently', () => {
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
    expect(contentHash([1, 2])).not.toBe(contentHash([2, 1]));
    expect(contentHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('limits', () => {
  it('has the SPEC §5 defaults, frozen', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxNodes: 10_000,
      maxIdLength: 128,
      maxPayloadBytes: 1024 * 1024,
      maxDepth: 10,
    });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });

  it('ID_PATTERN allows A-Z a-z 0-9 _ . - only', () => {
    expect(ID_PATTERN.test('Az09_.-')).toBe(true);
    for (const bad of ['', 'a b', 'a/b', 'ä', 'a:b']) expect(ID_PATTERN.test(bad)).toBe(false);
  });

  it('jsonByteLength counts UTF-8 bytes of the JSON; undefined is 0', () => {
    expect(jsonByteLength(undefined)).toBe(0);
    expect(jsonByteLength(null)).toBe(4);
    expect(jsonByteLength('é')).toBe(4); // "é" = quote + 2 bytes + quote
    expect(jsonByteLength({ a: 1 })).toBe(7);
    expect(jsonByteLength(() => 1)).toBe(0);
  });

  it('assertPayloadSize throws PayloadTooLargeError above the limit only', () => {
    expect(() => assertPayloadSize('output', 'abc', 5)).not.toThrow();
    try {
      assertPayloadSize('output', 'abcd', 5);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PayloadTooLargeError);
      expect(e).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 5, actualBytes: 6 });
      expect((e as Error).message).toBe('output is 6 bytes; the limit is 5');
    }
  });
});

describe('engine events', () => {
  it('lists every event name once, frozen', () => {
    expect(new Set(ENGINE_EVENT_NAMES).size).toBe(ENGINE_EVENT_NAMES.length);
    expect(ENGINE_EVENT_NAMES).toContain('workflow:completed');
    expect(ENGINE_EVENT_NAMES).toContain('node:skipped');
    expect(Object.isFrozen(ENGINE_EVENT_NAMES)).toBe(true);
  });
});
