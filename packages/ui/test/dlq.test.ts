import { describe, expect, it } from 'vitest';
import { DLQ_LIMIT, dlqPaging, firstLine } from '../src/app/model/dlq.js';

describe('firstLine', () => {
  it('keeps the first non-empty line, trimmed', () => {
    expect(firstLine('boom: bad input\n    at x (y.js:1:2)')).toBe('boom: bad input');
    expect(firstLine('\r\n  \r\n  second  \nthird')).toBe('second');
  });

  it('is empty for nothing', () => {
    expect(firstLine(undefined)).toBe('');
    expect(firstLine('   \n ')).toBe('');
  });

  it('cuts a long line with an ellipsis', () => {
    const text = firstLine('x'.repeat(500), 10);
    expect(text).toBe(`${'x'.repeat(9)}…`);
    expect(text).toHaveLength(10);
  });
});

describe('dlqPaging', () => {
  it('pages by 50', () => {
    expect(DLQ_LIMIT).toBe(50);
  });

  it('has no previous page on the first and a next one after a full page', () => {
    expect(dlqPaging(0, 50)).toEqual({ from: 1, to: 50, previous: undefined, next: 50 });
  });

  it('has no next page after a short one', () => {
    expect(dlqPaging(50, 7)).toEqual({ from: 51, to: 57, previous: 0, next: undefined });
  });

  it('reads an empty page as 0 items and never goes before offset 0', () => {
    expect(dlqPaging(0, 0)).toEqual({ from: 0, to: 0, previous: undefined, next: undefined });
    expect(dlqPaging(20, 0, 50)).toEqual({ from: 0, to: 0, previous: 0, next: undefined });
    expect(dlqPaging(-5, 3, 50).previous).toBeUndefined();
  });

  it('takes another page size', () => {
    expect(dlqPaging(20, 10, 10)).toEqual({ from: 21, to: 30, previous: 10, next: 30 });
  });
});
