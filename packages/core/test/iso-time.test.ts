import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/iso-time.js';

describe('isoTime', () => {
  it('formats as toISOString does, for the same and for another millisecond', () => {
    for (const ms of [0, 1_796_482_801_101, 1_796_482_801_101, 1_796_482_801_102, -1]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('defaults to now', () => {
    const before = Date.now();
    const at = Date.parse(isoTime());
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
