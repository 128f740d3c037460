import { describe, expect, it, vi } from 'vitest';
import { MAX_JSON_DEPTH, PayloadTooLargeError } from '../src/index.js';
import { boundedJsonText, payloadText } from '../src/internal.js';

/** Bytes of `value` as JSON text (what JSON.stringify writes, in UTF-8). */
const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Values whose JSON the check must measure exactly, through both of its passes. */
const SAMPLES: unknown[] = [
  { a: [1, null, 'x', undefined], at: new Date(0), skipped: undefined, n: -0, big: 1e21 },
  { text: 'é€😀 "quoted" \\ \n\t', 'ké y': 'v', pair: '\ud83d\ude00', f: 1.5e-7, nan: Number.NaN },
  // biome-ignore lint/suspicious/noSparseArray: holes are written as null
  [, , 3],
  [[], {}, [[{}]], { a: { b: { c: [1, { d: true, e: false }] } } }],
  [undefined, { x: undefined, y: 1 }],
  { toJSON: () => ({ v: [1, 'two', { w: undefined }] }) },
  { boxed: [new Number(3), new String('ab'), new Boolean(false)] },
  { when: new Date(Number.NaN), list: [new Date(0), { toJSON: () => undefined }] },
  // One object written several times, through the careful pass (a toJSON) too.
  (() => {
    const shared = { a: 1, b: 2 };
    return [shared, shared, { toJSON: () => [shared, shared] }];
  })(),
  'plain',
  42,
  true,
  null,
];

describe('boundedJsonText', () => {
  it('gives the text JSON.stringify gives at the exact limit, and too large one byte below', () => {
    for (const value of SAMPLES) {
      const size = bytesOf(value);
      expect(boundedJsonText(value, MAX_JSON_DEPTH, size), JSON.stringify(value)).toEqual({
        text: JSON.stringify(value),
      });
      const below = boundedJsonText(value, MAX_JSON_DEPTH, size - 1);
      expect(below, JSON.stringify(value)).toEqual({
        tooLarge: { atLeastBytes: expect.any(Number), exact: expect.any(Boolean) },
      });
      expect((below as { tooLarge: { atLeastBytes: number } }).tooLarge.atLeastBytes).toBe(size);
    }
  });

  it('refuses a sparse array of 100 million slots at once, without writing it', () => {
    const arr: unknown[] = [];
    arr[99_999_999] = 1;
    const started = performance.now();
    const result = boundedJsonText({ arr }, MAX_JSON_DEPTH, 1024 * 1024);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result).toEqual({ tooLarge: { atLeastBytes: 200_000_009, exact: false } });
  });

  it('calls no toJSON after the limit is passed', () => {
    let calls = 0;
    const items = Array.from({ length: 100 }, () => ({
      toJSON() {
        calls++;
        return 'x'.repeat(100); // 102 bytes as JSON
      },
    }));
    expect(boundedJsonText(items, MAX_JSON_DEPTH, 1000)).toMatchObject({ tooLarge: {} });
    // ~10 items fit in 1000 bytes: the 10th passes the limit; a full pass would call 100.
    expect(calls).toBeLessThanOrEqual(11);
    expect(calls).toBeGreaterThanOrEqual(9);
  });

  it('reads no property after the limit is passed (counted through getters)', () => {
    let reads = 0;
    const items = Array.from({ length: 100 }, () =>
      Object.defineProperty({}, 'v', {
        enumerable: true,
        get() {
          reads++;
          return 'x'.repeat(100);
        },
      }),
    );
    expect(boundedJsonText(items, MAX_JSON_DEPTH, 1000)).toMatchObject({ tooLarge: {} });
    expect(reads).toBeLessThanOrEqual(10);
  });

  it('stops at the same point for one large object shared many times', () => {
    const shared = { blob: 'x'.repeat(10_000) };
    const value = Array.from({ length: 10_000 }, () => shared);
    expect(boundedJsonText(value, MAX_JSON_DEPTH, 50_000)).toMatchObject({
      tooLarge: { exact: false },
    });
  });

  it('reports what is found first in the order of the text: not storable, or too large', () => {
    expect(boundedJsonText({ v: 1n, pad: 'x'.repeat(100) }, MAX_JSON_DEPTH, 10)).toEqual({
      unstorable: { path: '/v', reason: 'a BigInt' },
    });
    expect(boundedJsonText({ pad: 'x'.repeat(100), v: 1n }, MAX_JSON_DEPTH, 10)).toMatchObject({
      tooLarge: {},
    });
  });
});

describe('payloadText', () => {
  it('throws PayloadTooLargeError saying "at least" when it stopped counting', () => {
    const arr: unknown[] = [];
    arr[99_999_999] = 1;
    try {
      payloadText("output of node 'T'", { arr }, 1024 * 1024);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PayloadTooLargeError);
      expect((e as Error).message).toBe(
        "output of node 'T' is at least 200000009 bytes; the limit is 1048576",
      );
      expect(e).toMatchObject({ details: { limitBytes: 1048576, actualBytes: 200000009 } });
    }
  });
});

describe('payloadText on the hot path', () => {
  it('does not measure the text again when it has at most a third of the limit in code units', () => {
    const value = { items: Array.from({ length: 50 }, (_, i) => ({ id: `order-${i}`, n: i })) };
    const spy = vi.spyOn(Buffer, 'byteLength');
    try {
      expect(payloadText('output', value, 1024 * 1024)).toBe(JSON.stringify(value));
      expect(spy).not.toHaveBeenCalled();
      // Past a third of the limit the text is measured, and the same refusals hold.
      const text = JSON.stringify(value);
      expect(payloadText('output', value, text.length)).toBe(text);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(() => payloadText('output', value, text.length - 1)).toThrow(PayloadTooLargeError);
    } finally {
      spy.mockRestore();
    }
  });
});
