import { describe, expect, it } from 'vitest';
import type { ExecutionState } from '../src/api-types.js';
import { ExecutionProgress, formatDuration } from '../src/execution-progress.js';
import { ProgressLine } from '../src/progress-line.js';

function state(nodes: Record<string, string>, status = 'running'): ExecutionState {
  return {
    executionId: 'e1',
    workflowId: 'w',
    workflowVersion: 'v',
    tenantId: 'default',
    status: status as ExecutionState['status'],
    createdAt: '2025-01-01T00:00:00.000Z',
    nodeResults: Object.fromEntries(
      Object.entries(nodes).map(([id, s]) => [id, { status: s, attempts: 0 }]),
    ),
  };
}

describe('ExecutionProgress', () => {
  it('counts settled nodes from the state and the events after it', () => {
    const progress = new ExecutionProgress();
    progress.setState(state({ a: 'queued', b: 'pending', c: 'pending', d: 'pending' }));
    expect(progress.describe(1200)).toBe('running 0/4 nodes · 1.2s');
    progress.applyEvent('node:started', { nodeId: 'a' });
    expect(progress.describe(1200)).toBe('running 0/4 nodes · 1.2s · a');
    progress.applyEvent('node:completed', { nodeId: 'a' });
    progress.applyEvent('node:skipped', { nodeId: 'c' });
    progress.applyEvent('node:started', { nodeId: 'b' });
    progress.applyEvent('node:failed', { nodeId: 'b', final: false });
    expect(progress.counts()).toEqual({ settled: 2, total: 4, running: [] });
    progress.applyEvent('node:started', { nodeId: 'b' });
    progress.applyEvent('node:failed', { nodeId: 'b', final: true });
    progress.applyEvent('workflow:failed', {});
    expect(progress.describe()).toBe('failed 3/4 nodes');
  });

  it('follows pause and resume, and shows at most three running nodes', () => {
    const progress = new ExecutionProgress();
    progress.setState(
      state({ a: 'running', b: 'running', c: 'running', d: 'running', e: 'completed' }),
    );
    expect(progress.describe()).toBe('running 1/5 nodes · a, b, c, +1');
    progress.applyEvent('workflow:paused', {});
    expect(progress.status).toBe('paused');
    progress.applyEvent('workflow:resumed', {});
    expect(progress.status).toBe('running');
  });

  it('formats durations', () => {
    expect([850, 1234, 59_990, 125_000].map(formatDuration)).toEqual([
      '850ms',
      '1.2s',
      '60.0s',
      '2m 05s',
    ]);
  });
});

describe('ProgressLine', () => {
  it('rewrites one line in place on a terminal, cut to its width, and erases it', () => {
    const written: string[] = [];
    const line = new ProgressLine({ isTTY: true, columns: 30, write: (t) => written.push(t) });
    line.show('running 1/4 nodes · 0.2s');
    line.show('running 2/4 nodes · 0.4s · a-very-long-node-name');
    line.clear();
    line.clear();
    expect(written).toEqual([
      '\r\x1b[2Krunning 1/4 nodes · 0.2s',
      '\r\x1b[2Krunning 2/4 nodes · 0.4s · a…',
      '\r\x1b[2K',
    ]);
  });

  it('prints a line per change in a log, at most one per interval', async () => {
    const written: string[] = [];
    const line = new ProgressLine({ write: (t) => written.push(t) }, { logIntervalMs: 50 });
    line.show('running 0/2 nodes · 1ms', 'running 0/2');
    line.show('running 0/2 nodes · 5ms', 'running 0/2');
    line.show('running 1/2 nodes · 6ms', 'running 1/2');
    expect(written).toEqual(['running 0/2 nodes · 1ms\n']);
    await new Promise((r) => setTimeout(r, 60));
    line.show('running 1/2 nodes · 70ms', 'running 1/2');
    line.clear();
    expect(written).toEqual(['running 0/2 nodes · 1ms\n', 'running 1/2 nodes · 70ms\n']);
  });
});
