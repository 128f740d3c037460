import { describe, expect, it } from 'vitest';
import { checkInvariants, passes, type StoreSnapshot } from '../src/invariants.js';
import type { ChaosRecord } from '../src/records.js';

/** Hand-made records: helpers that write them the way the suite's processes do. */
const enqueue = (
  executionId: string | undefined,
  extra: { mayFail?: boolean; rejections?: number } = {},
) =>
  ({
    kind: 'enqueue',
    key: `k-${executionId}`,
    workflowId: 'diamond',
    mayFail: extra.mayFail ?? false,
    executionId,
    rejections: extra.rejections ?? 0,
    at: 0,
  }) as const;
const start = (
  runId: string,
  pid: number,
  executionId: string,
  nodeId: string,
  attempt: number,
  at: number,
) => ({ kind: 'start', runId, pid, executionId, nodeId, attempt, at }) as const;
const end = (
  runId: string,
  pid: number,
  executionId: string,
  nodeId: string,
  attempt: number,
  at: number,
) => ({ kind: 'end', runId, pid, executionId, nodeId, attempt, at, outcome: 'ok' }) as const;
const effect = (
  runId: string,
  pid: number,
  executionId: string,
  nodeId: string,
  attempt: number,
  at: number,
) => ({ kind: 'effect', runId, pid, executionId, nodeId, attempt, at }) as const;
const completedEvent = (executionId: string) =>
  ({ kind: 'event', pid: 1, name: 'workflow:completed', executionId, at: 0 }) as const;
const exit = (pid: number, at: number) => ({ kind: 'process', pid, what: 'exit', at }) as const;
const stop = (pid: number, at: number) => ({ kind: 'process', pid, what: 'stop', at }) as const;

/** One completed execution `e1` with one node `a` recorded from `runId`. */
function completed(runId = 'r1', status = 'completed'): StoreSnapshot {
  return {
    executions: { e1: { status, nodes: { a: { status: 'completed', runId } } } },
    liveJobs: [],
  };
}

/** A clean run of e1/a by run r1 of process 10. */
const clean: ChaosRecord[] = [
  enqueue('e1'),
  start('r1', 10, 'e1', 'a', 1, 100),
  effect('r1', 10, 'e1', 'a', 1, 150),
  end('r1', 10, 'e1', 'a', 1, 160),
  completedEvent('e1'),
];

describe('checkInvariants', () => {
  it('passes a clean run and counts it', () => {
    const r = checkInvariants(clean, completed());
    expect(r).toMatchObject({ executions: 1, lost: 0, stuck: 0, duplicatedEffects: 0 });
    expect(r.violations).toEqual([]);
    expect(passes(r)).toBe(true);
  });

  it('counts an id the store does not know as lost', () => {
    const r = checkInvariants(clean, { executions: { e1: null }, liveJobs: [] });
    expect(r.lost).toBe(1);
    expect(passes(r)).toBe(false);
    expect(r.violations[0]).toMatch(/^lost: e1/);
  });

  it('counts an execution not terminal at the snapshot as stuck, naming its open nodes', () => {
    const r = checkInvariants(clean, {
      executions: { e1: { status: 'running', nodes: { a: { status: 'running' } } } },
      liveJobs: [],
    });
    expect(r.stuck).toBe(1);
    expect(r.violations[0]).toContain('a=running');
    expect(passes(r)).toBe(false);
  });

  it('allows a failed execution only for a poison workflow', () => {
    expect(checkInvariants(clean, completed('r1', 'failed')).unexpectedFailed).toBe(1);
    const poison = [enqueue('e1', { mayFail: true }), ...clean.slice(1)];
    const r = checkInvariants(poison, completed('r1', 'failed'));
    expect(r.unexpectedFailed).toBe(0);
    expect(passes(r)).toBe(true);
  });

  it('fails when a planned execution never got an id, and sums rejected calls', () => {
    const r = checkInvariants([enqueue(undefined, { rejections: 4 }), ...clean], completed());
    expect(r.unenqueued).toBe(1);
    expect(r.enqueueRejections).toBe(4);
    expect(passes(r)).toBe(false);
  });

  it('allows a duplicated effect whose process died after it, before its commit', () => {
    const records = [
      ...clean,
      start('r0', 9, 'e1', 'a', 1, 10),
      effect('r0', 9, 'e1', 'a', 1, 20),
      exit(9, 30),
    ];
    const r = checkInvariants(records, completed('r1'));
    expect(r.duplicatedEffects).toBe(1);
    expect(r.unexplainedDuplicates).toBe(0);
    expect(r.sameAttemptReruns).toBe(1);
    expect(r.concurrentSameAttempt).toBe(0);
    expect(passes(r)).toBe(true);
  });

  it('allows a duplicated effect of a run stopped (SIGSTOP) after its effect', () => {
    const records = [
      ...clean,
      start('r0', 9, 'e1', 'a', 1, 10),
      effect('r0', 9, 'e1', 'a', 1, 20),
      stop(9, 30),
    ];
    const r = checkInvariants(records, completed('r1'));
    expect(r.unexplainedDuplicates).toBe(0);
  });

  it('flags a duplicated effect of a run whose process lived on (a re-run after a store error)', () => {
    const records = [
      ...clean,
      start('r2', 10, 'e1', 'a', 2, 200),
      effect('r2', 10, 'e1', 'a', 2, 250),
      end('r2', 10, 'e1', 'a', 2, 260),
    ];
    // The store kept r2; r1's effect is the extra one, and process 10 never died.
    const r = checkInvariants(records, completed('r2'));
    expect(r.duplicatedEffects).toBe(1);
    expect(r.unexplainedDuplicates).toBe(1);
    expect(r.violations[0]).toMatch(
      /^duplicate-effect: e1\/a attempt 1 by r1 \(kept r2 attempt 2\)/,
    );
    expect(passes(r)).toBe(false);
  });

  it('does not explain a duplicate by a process death long after that run ended', () => {
    const records = [
      ...clean,
      start('r2', 11, 'e1', 'a', 2, 200),
      effect('r2', 11, 'e1', 'a', 2, 250),
      end('r2', 11, 'e1', 'a', 2, 260),
      exit(11, 60_000),
    ];
    expect(checkInvariants(records, completed('r1')).unexplainedDuplicates).toBe(1);
  });

  it('counts overlapping invocations of one attempt as concurrent, a missing end lasting until the process exits', () => {
    const records = [
      ...clean,
      // r0 of process 9 never ended; process 9 exited at 120, after r1 started at 100.
      start('r0', 9, 'e1', 'a', 1, 50),
      exit(9, 120),
    ];
    const r = checkInvariants(records, completed('r1'));
    expect(r.concurrentSameAttempt).toBe(1);
    expect(r.violations[0]).toMatch(/^concurrent-same-attempt: e1\/a attempt 1/);
    expect(passes(r)).toBe(false);
  });

  it('counts a zombie (stopped, not dead) as running until its end record', () => {
    const records = [
      ...clean,
      start('z', 9, 'e1', 'a', 1, 50),
      stop(9, 60),
      end('z', 9, 'e1', 'a', 1, 5_000),
    ];
    expect(checkInvariants(records, completed('r1')).concurrentSameAttempt).toBe(1);
  });

  it('does not call runs of different attempts concurrent', () => {
    const records = [...clean, start('r2', 9, 'e1', 'a', 2, 110), end('r2', 9, 'e1', 'a', 2, 140)];
    const r = checkInvariants(records, completed('r1'));
    expect(r.concurrentSameAttempt).toBe(0);
    expect(r.sameAttemptReruns).toBe(0);
  });

  it('flags a recorded result that no invocation of that node produced', () => {
    expect(checkInvariants(clean, completed('nobody')).badResults).toBe(1);
    const r = checkInvariants(clean, {
      executions: {
        e1: {
          status: 'completed',
          nodes: { a: { status: 'completed', runId: 'r1' }, b: { status: 'pending' } },
        },
      },
      liveJobs: [],
    });
    expect(r.badResults).toBe(1);
    expect(r.violations[0]).toContain('b is pending in a completed execution');
  });

  it('flags a live job of a terminal execution, not of a running one', () => {
    const snapshot = completed();
    snapshot.liveJobs = [{ jobId: 'e1.a', executionId: 'e1', state: 'waiting' }];
    expect(checkInvariants(clean, snapshot).leftoverJobs).toBe(1);
    const running: StoreSnapshot = {
      executions: { e1: { status: 'running', nodes: { a: { status: 'queued' } } } },
      liveJobs: [{ jobId: 'e1.a', executionId: 'e1', state: 'waiting' }],
    };
    expect(checkInvariants(clean, running).leftoverJobs).toBe(0);
  });

  it('needs a workflow:completed event for every completed execution', () => {
    const r = checkInvariants(clean.slice(0, 4), completed());
    expect(r.missingCompletedEvents).toBe(1);
    expect(passes(r)).toBe(false);
  });

  it('keeps at most three example lines per kind of violation', () => {
    const ids = ['e1', 'e2', 'e3', 'e4', 'e5'];
    const r = checkInvariants(
      ids.map((id) => enqueue(id)),
      { executions: Object.fromEntries(ids.map((id) => [id, null])), liveJobs: [] },
    );
    expect(r.lost).toBe(5);
    expect(r.violations).toHaveLength(4);
    expect(r.violations[3]).toBe('lost: …');
  });
});
