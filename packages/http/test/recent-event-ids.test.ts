import { describe, expect, it } from 'vitest';
import { RecentEventIds } from '../src/recent-event-ids.js';

describe('RecentEventIds (events are delivered at least once; metrics count each once)', () => {
  it('is true the first time an id is seen and false for a repeat', () => {
    const seen = new RecentEventIds();
    expect(seen.first('workflow:completed:e1')).toBe(true);
    expect(seen.first('workflow:completed:e1')).toBe(false);
    expect(seen.first('workflow:completed:e2')).toBe(true);
  });

  it('counts an event without an id every time', () => {
    const seen = new RecentEventIds();
    expect(seen.first(undefined)).toBe(true);
    expect(seen.first(undefined)).toBe(true);
  });

  it('forgets the oldest ids past its bound, so memory stays flat', () => {
    const seen = new RecentEventIds();
    for (let i = 0; i < 20_001; i++) seen.first(`e${i}`);
    expect(seen.first('e0')).toBe(true);
    expect(seen.first('e20000')).toBe(false);
  });
});
