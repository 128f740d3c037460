import { describe, expect, it } from 'vitest';
import {
  formatWhen,
  retryText,
  shortVersion,
  timeoutText,
  versionOptions,
  withDefault,
} from '../src/app/model/workflow-view.js';

describe('shortVersion / formatWhen', () => {
  it('keeps the first 12 characters of a version', () => {
    expect(shortVersion('0123456789abcdef')).toBe('0123456789ab');
    expect(shortVersion('abc')).toBe('abc');
  });

  it('shows a dash for no date and the text itself for an unreadable one', () => {
    expect(formatWhen(undefined)).toBe('—');
    expect(formatWhen('')).toBe('—');
    expect(formatWhen('not a date')).toBe('not a date');
    expect(formatWhen('2025-01-02T03:04:05.000Z')).toBe(
      new Date('2025-01-02T03:04:05.000Z').toLocaleString(),
    );
  });
});

describe('versionOptions', () => {
  const when = (iso: string) => `at ${iso}`;
  const items = [
    { version: 'aaaaaaaaaaaaaaaa', createdAt: '1' },
    { version: 'bbbbbbbbbbbbbbbb', createdAt: '2' },
    { version: 'cccccccccccccccc', createdAt: '3' },
  ];

  it('lists newest first with the short version and the save time', () => {
    expect(versionOptions(items, 'cccccccccccccccc', when)).toEqual([
      { version: 'cccccccccccccccc', label: 'cccccccccccc · at 3 (current)', current: true },
      { version: 'bbbbbbbbbbbbbbbb', label: 'bbbbbbbbbbbb · at 2', current: false },
      { version: 'aaaaaaaaaaaaaaaa', label: 'aaaaaaaaaaaa · at 1', current: false },
    ]);
  });

  it('marks the current version wherever it is (an older definition registered again)', () => {
    const options = versionOptions(items, 'aaaaaaaaaaaaaaaa', when);
    expect(options.filter((o) => o.current).map((o) => o.version)).toEqual(['aaaaaaaaaaaaaaaa']);
    expect(options[2]?.label).toBe('aaaaaaaaaaaa · at 1 (current)');
  });

  it('does not change the list it was given', () => {
    const copy = items.slice();
    versionOptions(items, undefined, when);
    expect(items).toEqual(copy);
  });
});

describe('retryText', () => {
  it('is undefined without a policy', () => {
    expect(retryText(undefined)).toBeUndefined();
  });

  it('says how many attempts and how retries wait', () => {
    expect(retryText({ attempts: 1 })).toBe('1 attempt');
    expect(retryText({ attempts: 3 })).toBe('3 attempts, retried at once');
    expect(retryText({ attempts: 5, backoff: { type: 'fixed', delayMs: 2000 } })).toBe(
      '5 attempts, 2.0 s apart',
    );
    expect(
      retryText({
        attempts: 4,
        backoff: { type: 'exponential', delayMs: 500, maxDelayMs: 30_000 },
      }),
    ).toBe('4 attempts, exponential backoff from 500 ms (at most 30 s)');
  });
});

describe('timeoutText / withDefault', () => {
  it('words a timeout', () => {
    expect(timeoutText(undefined)).toBeUndefined();
    expect(timeoutText(90_000)).toBe('1 min 30 s');
  });

  it("prefers the node's own value, then the workflow default, then the fallback", () => {
    expect(withDefault('a', 'b', 'c')).toBe('a');
    expect(withDefault(undefined, 'b', 'c')).toBe('b (workflow default)');
    expect(withDefault(undefined, undefined, 'c')).toBe('c');
  });
});
