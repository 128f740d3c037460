import { describe, expect, it } from 'vitest';
import { dropExpired, setNewest } from '../src/time-ordered.js';

describe('time-ordered maps', () => {
  it('setNewest moves a renewed entry to the end; dropExpired forgets the expired head only', () => {
    const map = new Map<string, { at: number }>();
    setNewest(map, 'a', { at: 0 });
    setNewest(map, 'b', { at: 1 });
    setNewest(map, 'a', { at: 5 });
    expect([...map.keys()]).toEqual(['b', 'a']);
    dropExpired(map, 4, 2);
    expect([...map.keys()]).toEqual(['a']);
    dropExpired(map, 7, 2);
    expect([...map.keys()]).toEqual(['a']);
    dropExpired(map, 8, 2);
    expect(map.size).toBe(0);
  });
});
