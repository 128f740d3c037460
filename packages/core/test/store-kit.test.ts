import { describe, expect, it } from 'vitest';
import {
  getPath,
  InvalidArgumentError,
  InvalidTransitionError,
  NodeRunCancelledError,
  type NodeStatus,
  NonRetryableError,
  parsePath,
  SpaneError,
} from '../src/index.js';
import {
  ACTIVE_NODE_PAGE,
  assertStatusChange,
  DLQ_PAGE,
  EXECUTION_PAGE,
  FINAL_NODE_STATUSES,
  IN_FLIGHT_NODE_STATUSES,
  isActiveExecutionStatus,
  isFinalNodeStatus,
  isInFlightNodeStatus,
  pageLimit,
  parseSeqCursor,
  parseSeqKeyCursor,
  SCHEDULED_NODE_STATUSES,
  seqKeyCursor,
  statusChangeEffects,
} from '../src/store.js';

const ALL_NODE_STATUSES: NodeStatus[] = [
  'pending',
  'queued',
  'running',
  'waiting',
  'delayed',
  'completed',
  'failed',
  'skipped',
  'cancelled',
];

describe('pageLimit', () => {
  it('uses the default without a limit and keeps a limit within 1 and the maximum', () => {
    expect(pageLimit(undefined, EXECUTION_PAGE)).toBe(50);
    expect(pageLimit(undefined, ACTIVE_NODE_PAGE)).toBe(500);
    expect(pageLimit(undefined, DLQ_PAGE)).toBe(50);
    expect(pageLimit(0, EXECUTION_PAGE)).toBe(1);
    expect(pageLimit(-5, EXECUTION_PAGE)).toBe(1);
    expect(pageLimit(2.9, EXECUTION_PAGE)).toBe(2);
    expect(pageLimit(5000, EXECUTION_PAGE)).toBe(1000);
    expect(pageLimit(Number.POSITIVE_INFINITY, ACTIVE_NODE_PAGE)).toBe(5000);
  });

  it('refuses NaN and values that are not numbers with InvalidArgumentError', () => {
    expect(() => pageLimit(Number.NaN, EXECUTION_PAGE)).toThrow(InvalidArgumentError);
    expect(() => pageLimit('10' as unknown as number, EXECUTION_PAGE)).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('cursors', () => {
  it('reads sequence cursors and refuses anything else', () => {
    expect(parseSeqCursor(undefined)).toBeUndefined();
    expect(parseSeqCursor('42')).toBe('42');
    for (const bad of ['', 'x', '-1', '1.5', '1e3', '1234567890123456789', ' 1']) {
      expect(() => parseSeqCursor(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('round-trips a sequence-and-key cursor, keys with colons included', () => {
    expect(parseSeqKeyCursor(undefined)).toBeUndefined();
    expect(parseSeqKeyCursor(seqKeyCursor(7, 'a:b'))).toEqual({ seq: '7', key: 'a:b' });
    for (const bad of ['7', ':a', 'x:a', '-1:a']) {
      expect(() => parseSeqKeyCursor(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('status sets', () => {
  it('agree with their predicates', () => {
    for (const status of ALL_NODE_STATUSES) {
      expect(isFinalNodeStatus(status), status).toBe(FINAL_NODE_STATUSES.includes(status));
      expect(isInFlightNodeStatus(status), status).toBe(IN_FLIGHT_NODE_STATUSES.includes(status));
    }
    expect(SCHEDULED_NODE_STATUSES.every((s) => IN_FLIGHT_NODE_STATUSES.includes(s))).toBe(true);
    expect(isActiveExecutionStatus('pending')).toBe(true);
    expect(isActiveExecutionStatus('running')).toBe(true);
    expect(isActiveExecutionStatus('paused')).toBe(false);
    expect(isActiveExecutionStatus('failed')).toBe(false);
  });
});

describe('status changes', () => {
  it('refuses failed → running (only a DLQ retry revives) and what the lifecycle forbids', () => {
    expect(() => assertStatusChange('failed', 'running')).toThrow(InvalidTransitionError);
    expect(() => assertStatusChange('completed', 'cancelled')).toThrow(InvalidTransitionError);
    expect(() => assertStatusChange('running', 'paused')).not.toThrow();
  });

  it('cancel settles every unsettled node, fail only those under way', () => {
    const cancelled = statusChangeEffects('cancelled');
    const failed = statusChangeEffects('failed');
    expect(ALL_NODE_STATUSES.filter((s) => cancelled.cancelsNode(s))).toEqual([
      'pending',
      'queued',
      'running',
      'waiting',
      'delayed',
    ]);
    expect(ALL_NODE_STATUSES.filter((s) => failed.cancelsNode(s))).toEqual([
      'queued',
      'running',
      'waiting',
      'delayed',
    ]);
    expect(cancelled.finishes && failed.finishes && statusChangeEffects('completed').finishes).toBe(
      true,
    );
    expect(cancelled.cancelledNodeStatuses).toEqual(
      ALL_NODE_STATUSES.filter((s) => cancelled.cancelsNode(s)),
    );
    expect(failed.cancelledNodeStatuses).toEqual(['queued', 'running', 'waiting', 'delayed']);
    expect(statusChangeEffects('running').allowedFrom).toEqual(['pending', 'paused']);
    expect(statusChangeEffects('cancelled').allowedFrom).toEqual(['pending', 'running', 'paused']);
    const paused = statusChangeEffects('paused');
    expect(paused.finishes).toBe(false);
    expect(ALL_NODE_STATUSES.some((s) => paused.cancelsNode(s))).toBe(false);
  });
});

describe('NodeRunCancelledError', () => {
  it('is its own class and code, named AbortError, with the reason', () => {
    const error = new NodeRunCancelledError('cancelled');
    expect(error).toBeInstanceOf(SpaneError);
    expect(error.code).toBe('CANCELLED');
    expect(error.name).toBe('AbortError');
    expect(error.reason).toBe('cancelled');
    expect(error.message).toBe('execution cancelled');
    expect(new NodeRunCancelledError('shutdown').message).toBe('worker shutting down');
  });
});

describe('dotted paths', () => {
  it('read own properties and array indexes, never the prototype', () => {
    const value = { a: { list: [{ b: 1 }] } };
    expect(getPath(value, parsePath('a.list.0.b'))).toBe(1);
    expect(getPath(value, parsePath('a.missing'))).toBeUndefined();
    expect(getPath(value, parsePath('a.toString'))).toBeUndefined();
    expect(() => parsePath('a.__proto__')).toThrow(NonRetryableError);
    expect(() => parsePath('a..b')).toThrow(NonRetryableError);
  });
});
