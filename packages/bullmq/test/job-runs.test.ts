import { describe, expect, it } from 'vitest';
import { type JobRun, runInTurn } from '../src/job-runs.js';
import { deferred } from './support/engine-harness.js';

// runInTurn: a job's runs execute one at a time; a run's recording overlaps the next run.

/** A run that logs its steps, executes at once and records until `recorded` resolves. */
function run(
  log: string[],
  name: string,
  recorded: Promise<void>,
  leaves: string[] = [],
): JobRun<string> {
  return async (executed) => {
    log.push(`exec ${name}`);
    executed();
    await recorded;
    log.push(`recorded ${name}`);
    return leaves;
  };
}

describe('runInTurn', () => {
  it('runs the pending items while the first run records, then what it leaves, and ends after every recording', async () => {
    const log: string[] = [];
    const own = deferred();
    const rec = new Map(['R1', 'R2', 'C1'].map((n) => [n, deferred()]));
    const done = runInTurn<string>({
      first: run(log, 'own', own.promise, ['C1']),
      pending: ['R1', 'R2'],
      carry: async (item) => run(log, item, rec.get(item)!.promise),
      onFailure: async () => {
        throw new Error('not called');
      },
    });
    await expect.poll(() => log).toEqual(['exec own', 'exec R1', 'exec R2']);
    rec.get('R2')!.resolve();
    own.resolve();
    await expect.poll(() => log.slice(3)).toEqual(['recorded R2', 'recorded own', 'exec C1']);
    let ended = false;
    void done.then(() => {
      ended = true;
    });
    rec.get('C1')!.resolve();
    await expect.poll(() => log.includes('recorded C1')).toBe(true);
    expect(ended).toBe(false); // R1 still records
    rec.get('R1')!.resolve();
    await done;
    expect(log.at(-1)).toBe('recorded R1');
  });

  it('an item carried elsewhere is skipped; a run that executes through waits for nothing', async () => {
    const log: string[] = [];
    await runInTurn<string>({
      first: async () => {
        log.push('own');
        return ['a', 'b'];
      },
      pending: [],
      carry: async (item) => (item === 'a' ? undefined : run(log, item, Promise.resolve())),
      onFailure: async () => {},
    });
    expect(log).toEqual(['own', 'exec b', 'recorded b']);
  });

  it('a run that throws: the runs still going end first, onFailure gets what was left, the first error is thrown', async () => {
    const log: string[] = [];
    const slow = deferred();
    let left: string[] | undefined;
    const done = runInTurn<string>({
      first: run(log, 'own', Promise.resolve()),
      pending: ['slow', 'bad', 'never'],
      carry: async (item) =>
        item === 'bad'
          ? async () => {
              log.push('exec bad');
              throw new Error('bad failed');
            }
          : run(log, item, slow.promise),
      onFailure: async (rest) => {
        left = [...rest];
        log.push('onFailure');
      },
    });
    let settled = false;
    void done.catch(() => {
      settled = true;
    });
    await expect.poll(() => log).toContain('exec bad');
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // 'slow' still records
    slow.resolve();
    await expect(done).rejects.toThrow('bad failed');
    expect(log).toEqual([
      'exec own',
      'recorded own',
      'exec slow',
      'exec bad',
      'recorded slow',
      'onFailure',
    ]);
    expect(left).toEqual(['never']);
  });
});
