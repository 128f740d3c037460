import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addCounters, countersPer, procCounters } from '../src/proc-counters.js';

describe('procCounters (Linux /proc/self)', () => {
  it('counts this process’s write system calls and context switches', () => {
    const before = procCounters();
    for (const value of Object.values(before)) expect(Number.isInteger(value)).toBe(true);
    // Ten writes of one byte each to /dev/null: ten write calls at least.
    const fd = openSync('/dev/null', 'w');
    for (let i = 0; i < 10; i++) writeSync(fd, 'x');
    closeSync(fd);
    const after = procCounters();
    expect(after.writeCalls - before.writeCalls).toBeGreaterThanOrEqual(10);
    expect(after.voluntarySwitches).toBeGreaterThanOrEqual(before.voluntarySwitches);
    expect(countersPer(before, after, 10).writeCalls).toBeGreaterThanOrEqual(1);
  });

  it('adds and divides field by field', () => {
    const a = { readCalls: 1, writeCalls: 2, voluntarySwitches: 3, involuntarySwitches: 4 };
    const b = { readCalls: 10, writeCalls: 20, voluntarySwitches: 30, involuntarySwitches: 40 };
    expect(addCounters(a, b)).toEqual({
      readCalls: 11,
      writeCalls: 22,
      voluntarySwitches: 33,
      involuntarySwitches: 44,
    });
    expect(countersPer(a, b, 3)).toEqual({
      readCalls: 3,
      writeCalls: 6,
      voluntarySwitches: 9,
      involuntarySwitches: 12,
    });
  });
});
