import { NodeRunCancelledError, NodeTimeoutError } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { RunningNodes } from '../src/running-nodes.js';

const runs = () => new RunningNodes({ handoffs: { drop() {} } });

describe('RunningNode signal', () => {
  it('is made when first read, once, and aborts with the run', async () => {
    const made: AbortSignal[] = [];
    const run = runs().start('e1', 'n1', undefined, (s) => made.push(s));
    expect(made).toHaveLength(0);
    const signal = run.signal;
    expect(run.signal).toBe(signal);
    expect(made).toEqual([signal]);
    expect(signal.aborted).toBe(false);
    run.abort('cancelled');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(NodeRunCancelledError);
    await expect(run.aborted).resolves.toBe('cancelled');
    run.dispose();
  });

  it('made after the run was told to stop, is aborted already with its reason', () => {
    const registry = runs();
    const run = registry.start('e1', 'n1', undefined);
    registry.abortExecution('e1', 'failed');
    expect(run.kind).toBe('failed');
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe(run.reason);
    expect(() => run.signal.throwIfAborted()).toThrow(NodeRunCancelledError);
    run.dispose();
  });

  it("a timeout's reason is the node's NodeTimeoutError, signal read or not", async () => {
    const run = runs().start('e1', 'n1', 5);
    await expect(run.aborted).resolves.toBe('timeout');
    expect(run.reason).toBeInstanceOf(NodeTimeoutError);
    expect(run.signal.reason).toBe(run.reason);
    run.dispose();
  });
});
