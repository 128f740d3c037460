import { describe, expect, it } from 'vitest';
import {
  getPath,
  MAX_PATH_INDEX,
  NonRetryableError,
  parsePath,
  setPath,
  settablePathProblem,
} from '../src/index.js';

describe('setPath array indexes', () => {
  it('refuses to grow an array to an index above MAX_PATH_INDEX, at once and saying why', () => {
    const target = { arr: [] as unknown[] };
    const started = performance.now();
    expect(() => setPath(target, parsePath('arr.99999999'), 1)).toThrow(NonRetryableError);
    expect(() => setPath(target, parsePath('arr.99999999'), 1)).toThrow(
      "cannot set 'arr.99999999': index 99999999 is past the end of the array (0 items) and above 10000, the largest index a path may create",
    );
    expect(() => setPath(target, parsePath(`arr.${MAX_PATH_INDEX + 1}.x`), 1)).toThrow(
      /past the end of the array/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(target.arr.length).toBe(0);
  });

  it('sets any index up to MAX_PATH_INDEX, an existing element, and the next one', () => {
    const target = { arr: [] as unknown[] };
    setPath(target, parsePath(`arr.${MAX_PATH_INDEX}`), 'last');
    expect(target.arr.length).toBe(MAX_PATH_INDEX + 1);
    setPath(target, parsePath(`arr.${MAX_PATH_INDEX + 1}`), 'next');
    setPath(target, parsePath('arr.0.a'), 1);
    expect(getPath(target, ['arr', String(MAX_PATH_INDEX + 1)])).toBe('next');
    expect(target.arr[0]).toEqual({ a: 1 });
    const long = { arr: new Array(MAX_PATH_INDEX + 50).fill(0) };
    setPath(long, parsePath(`arr.${MAX_PATH_INDEX + 20}`), 'kept');
    expect(long.arr[MAX_PATH_INDEX + 20]).toBe('kept');
  });

  it('object keys of digits are not indexes: setPath creates them as keys', () => {
    const target: Record<string, unknown> = {};
    setPath(target, parsePath('ids.99999999'), 1);
    expect(target).toEqual({ ids: { '99999999': 1 } });
  });
});

describe('settablePathProblem', () => {
  it('is what parsePath refuses, plus a segment of digits above MAX_PATH_INDEX', () => {
    expect(settablePathProblem('a.b.10000')).toBeUndefined();
    expect(settablePathProblem('a.10001')).toMatch(/at most 10000/);
    expect(settablePathProblem('a.00010001')).toMatch(/at most 10000/);
    expect(settablePathProblem('a..b')).toMatch(/empty segment/);
    expect(settablePathProblem('')).toMatch(/non-empty/);
    expect(settablePathProblem(5)).toMatch(/non-empty/);
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(settablePathProblem(`a.${key}.b`)).toMatch(/reserved key/);
    }
    // Reading is not bounded: a path may name a large numeric object key.
    expect(parsePath('ids.99999999')).toEqual(['ids', '99999999']);
  });
});
