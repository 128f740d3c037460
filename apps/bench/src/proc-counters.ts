import { readFileSync } from 'node:fs';

/**
 * Kernel counters of this process (Linux `/proc/self`): system calls that read and that
 * write (`io`: syscr, syscw), and context switches it made (voluntary: it waited) and
 * suffered (involuntary: another process took its core). NaN where `/proc` is unreadable.
 */
export interface ProcCounters {
  readCalls: number;
  writeCalls: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
}

function field(text: string | undefined, name: string): number {
  const match = text === undefined ? null : new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This process's counters now. */
export function procCounters(): ProcCounters {
  const io = read('/proc/self/io');
  const status = read('/proc/self/status');
  return {
    readCalls: field(io, 'syscr'),
    writeCalls: field(io, 'syscw'),
    voluntarySwitches: field(status, 'voluntary_ctxt_switches'),
    involuntarySwitches: field(status, 'nonvoluntary_ctxt_switches'),
  };
}

/** `a + b` field by field. */
export function addCounters(a: ProcCounters, b: ProcCounters): ProcCounters {
  return {
    readCalls: a.readCalls + b.readCalls,
    writeCalls: a.writeCalls + b.writeCalls,
    voluntarySwitches: a.voluntarySwitches + b.voluntarySwitches,
    involuntarySwitches: a.involuntarySwitches + b.involuntarySwitches,
  };
}

/** `(after − before) ÷ n` field by field. */
export function countersPer(before: ProcCounters, after: ProcCounters, n: number): ProcCounters {
  return {
    readCalls: (after.readCalls - before.readCalls) / n,
    writeCalls: (after.writeCalls - before.writeCalls) / n,
    voluntarySwitches: (after.voluntarySwitches - before.voluntarySwitches) / n,
    involuntarySwitches: (after.involuntarySwitches - before.involuntarySwitches) / n,
  };
}
