import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  type ExecutionStatus,
  InvalidTransitionError,
  isTerminalStatus,
} from '../src/index.js';

const ALL: ExecutionStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];

describe('execution status transitions', () => {
  it('completed and cancelled are final', () => {
    for (const from of ['completed', 'cancelled'] as const) {
      for (const to of ALL) expect(canTransition(from, to), `${from} -> ${to}`).toBe(false);
    }
  });

  it('failed goes to running only (DLQ retry)', () => {
    for (const to of ALL)
      expect(canTransition('failed', to), `failed -> ${to}`).toBe(to === 'running');
  });

  it('running and paused go back and forth', () => {
    expect(canTransition('running', 'paused')).toBe(true);
    expect(canTransition('paused', 'running')).toBe(true);
  });

  it('pending starts or is cancelled; running and paused can finish either way', () => {
    expect(canTransition('pending', 'running')).toBe(true);
    expect(canTransition('pending', 'cancelled')).toBe(true);
    expect(canTransition('pending', 'completed')).toBe(false);
    for (const from of ['running', 'paused'] as const) {
      for (const to of ['completed', 'failed', 'cancelled'] as const) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(true);
      }
    }
  });

  it('nothing goes back to pending, and no status moves to itself', () => {
    for (const from of ALL) {
      expect(canTransition(from, 'pending')).toBe(false);
      expect(canTransition(from, from)).toBe(false);
    }
  });

  it('assertTransition throws InvalidTransitionError exactly when canTransition is false', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        if (canTransition(from, to)) {
          expect(() => assertTransition(from, to)).not.toThrow();
        } else {
          try {
            assertTransition(from, to);
            expect.unreachable();
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidTransitionError);
            expect(e).toMatchObject({ code: 'INVALID_TRANSITION', from, to });
          }
        }
      }
    }
  });

  it('isTerminalStatus: completed, failed, cancelled', () => {
    expect(ALL.filter(isTerminalStatus)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
