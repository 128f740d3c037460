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

/** Where each counter is read: the `/proc/self` file and its field. */
const SOURCES: Record<keyof ProcCounters, readonly ['io' | 'status', string]> = {
  readCalls: ['io', 'syscr'],
  writeCalls: ['io', 'syscw'],
  voluntarySwitches: ['status', 'voluntary_ctxt_switches'],
  involuntarySwitches: ['status', 'nonvoluntary_ctxt_switches'],
};

const KEYS = Object.keys(SOURCES) as (keyof ProcCounters)[];

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A counters object whose every field is `f(key)`. */
function counters(f: (key: keyof ProcCounters) => number): ProcCounters {
  return Object.fromEntries(KEYS.map((k) => [k, f(k)])) as unknown as ProcCounters;
}

/** This process's counters now. */
export function procCounters(): ProcCounters {
  const files = { io: read('/proc/self/io'), status: read('/proc/self/status') };
  return counters((k) => {
    const [file, name] = SOURCES[k];
    const match = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(files[file] ?? '');
    return match ? Number(match[1]) : Number.NaN;
  });
}

/** `a + b` field by field. */
export function addCounters(a: ProcCounters, b: ProcCounters): ProcCounters {
  return counters((k) => a[k] + b[k]);
}

/** `(after − before) ÷ n` field by field. */
export function countersPer(before: ProcCounters, after: ProcCounters, n: number): ProcCounters {
  return counters((k) => (after[k] - before[k]) / n);
}
