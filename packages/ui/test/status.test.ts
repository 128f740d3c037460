import type { ExecutionStatus, NodeStatus, SkipReason } from '@spane/core';
import { describe, expect, it } from 'vitest';
import {
  executionTone,
  formatDuration,
  isFinished,
  nodeDurationMs,
  nodeLook,
  skipText,
} from '../src/app/model/status.js';

// Records keyed by the core unions: a status added to core fails the typecheck here.
const NODE_STATUSES = Object.keys({
  pending: 1,
  queued: 1,
  running: 1,
  waiting: 1,
  delayed: 1,
  completed: 1,
  failed: 1,
  skipped: 1,
  cancelled: 1,
} satisfies Record<NodeStatus, 1>) as NodeStatus[];

const EXECUTION_STATUSES = Object.keys({
  pending: 1,
  running: 1,
  paused: 1,
  completed: 1,
  failed: 1,
  cancelled: 1,
} satisfies Record<ExecutionStatus, 1>) as ExecutionStatus[];

const SKIP_REASONS = Object.keys({
  'not-selected': 1,
  'upstream-skipped': 1,
  unreachable: 1,
} satisfies Record<SkipReason, 1>) as SkipReason[];

describe('nodeLook', () => {
  it('gives every node status its own tone, icon and label', () => {
    const looks = NODE_STATUSES.map(nodeLook);
    for (const key of ['tone', 'icon', 'label'] as const) {
      const values = looks.map((l) => l[key]);
      expect(values.every((v) => typeof v === 'string' && v !== '')).toBe(true);
      expect(new Set(values).size, key).toBe(NODE_STATUSES.length);
    }
    expect(NODE_STATUSES.map((s) => nodeLook(s).label)).toEqual(NODE_STATUSES);
  });

  it('reads a missing status as pending', () => {
    expect(nodeLook(undefined)).toEqual(nodeLook('pending'));
  });

  it('reads an unknown status as itself, neutral, with an icon no known status has', () => {
    const look = nodeLook('teleported');
    expect(look).toEqual({ tone: 'idle', icon: '?', label: 'teleported' });
    expect(NODE_STATUSES.map((s) => nodeLook(s).icon)).not.toContain('?');
  });

  it('does not take inherited object keys for statuses', () => {
    expect(nodeLook('toString').label).toBe('toString');
    expect(nodeLook('constructor').icon).toBe('?');
  });
});

describe('executionTone', () => {
  it('gives each execution status a tone, the same as the node status of that name', () => {
    for (const s of EXECUTION_STATUSES) {
      if (s === 'paused') continue;
      expect(executionTone(s), s).toBe(nodeLook(s).tone);
    }
    expect(executionTone('paused')).toBe('delayed');
  });

  it('is neutral for an unknown status, inherited object keys included', () => {
    expect(executionTone('mystery')).toBe('idle');
    expect(executionTone('toString')).toBe('idle');
  });
});

describe('isFinished', () => {
  it('is true for completed, failed and cancelled only', () => {
    expect(EXECUTION_STATUSES.filter(isFinished)).toEqual(['completed', 'failed', 'cancelled']);
    expect(isFinished('unknown')).toBe(false);
  });
});

describe('skipText', () => {
  it('says each skip reason in words', () => {
    expect(skipText('not-selected')).toBe("not selected by a parent's branch");
    expect(skipText('upstream-skipped')).toBe('every parent was skipped');
    expect(skipText('unreachable')).toBe('not reachable from the entry node');
    expect(new Set(SKIP_REASONS.map(skipText)).size).toBe(SKIP_REASONS.length);
  });

  it('shows an unknown reason as it is', () => {
    expect(skipText('some-new-reason')).toBe('some-new-reason');
    expect(skipText('constructor')).toBe('constructor');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [1, '1 ms'],
    [850, '850 ms'],
    [999, '999 ms'],
    [999.9, '999 ms'],
    [1000, '1.0 s'],
    [4_250, '4.2 s'],
    [9_999, '9.9 s'],
    [10_000, '10 s'],
    [59_999, '59 s'],
    [60_000, '1 min 0 s'],
    [185_000, '3 min 5 s'],
    [3_599_999, '59 min 59 s'],
    [3_600_000, '1 h 0 min'],
    [7_800_000, '2 h 10 min'],
    [90_000_000, '25 h 0 min'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('never shows a duration in the next unit up before it is reached', () => {
    // 59.999 s is not "60 s" (that is written "1 min 0 s"), 999.9 ms not "1000 ms".
    expect(formatDuration(59_999)).not.toMatch(/^60 s$/);
    expect(formatDuration(999.9)).not.toBe('1000 ms');
    expect(formatDuration(3_599_999)).not.toMatch(/60 min/);
  });

  it.each([-1, -60_000, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    '%d → empty',
    (ms) => {
      expect(formatDuration(ms)).toBe('');
    },
  );
});

describe('nodeDurationMs', () => {
  const now = Date.parse('2024-05-01T10:00:10.000Z');

  it('is undefined for a node that has not started', () => {
    expect(nodeDurationMs(undefined, now)).toBeUndefined();
    expect(nodeDurationMs({}, now)).toBeUndefined();
    expect(nodeDurationMs({ finishedAt: '2024-05-01T10:00:05.000Z' }, now)).toBeUndefined();
  });

  it('counts up to now while the node runs', () => {
    expect(nodeDurationMs({ startedAt: '2024-05-01T10:00:07.500Z' }, now)).toBe(2_500);
  });

  it('is finished − started once it finished, whatever now is', () => {
    const state = { startedAt: '2024-05-01T10:00:00.000Z', finishedAt: '2024-05-01T10:00:01.250Z' };
    expect(nodeDurationMs(state, now)).toBe(1_250);
    expect(nodeDurationMs(state, now + 60_000)).toBe(1_250);
  });

  it('is never negative (clock skew) and undefined for unreadable times', () => {
    expect(nodeDurationMs({ startedAt: '2024-05-01T10:00:20.000Z' }, now)).toBe(0);
    expect(nodeDurationMs({ startedAt: 'yesterday-ish' }, now)).toBeUndefined();
    expect(
      nodeDurationMs({ startedAt: '2024-05-01T10:00:00.000Z', finishedAt: 'nope' }, now),
    ).toBeUndefined();
  });
});
