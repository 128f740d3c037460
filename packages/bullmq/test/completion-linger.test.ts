import { describe, expect, it } from 'vitest';
import { completionMayLinger } from '../src/engine-events.js';

// A → B, C; B, C → J. Whether a node's node:completed may wait for company.
const plan = {
  children: new Map([
    ['A', ['B', 'C']],
    ['B', ['J']],
    ['C', ['J']],
    ['J', []],
  ]),
};

describe('completionMayLinger', () => {
  it('lets a completion linger when it made every child ready', () => {
    expect(completionMayLinger(plan, 'A', ['B', 'C'])).toBe(true);
    // The join's last parent: the join runs here next.
    expect(completionMayLinger(plan, 'C', ['J'])).toBe(true);
  });

  it('sends it in its turn for a join still waiting, a skipped child or no child', () => {
    // Another process may complete C, run J and end the execution first.
    expect(completionMayLinger(plan, 'B', [])).toBe(false);
    expect(completionMayLinger(plan, 'A', ['B'])).toBe(false);
    expect(completionMayLinger(plan, 'J', [])).toBe(false);
  });
});
