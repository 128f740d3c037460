import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli-args.js';
import { createRng } from '../src/rng.js';
import { CI_SCENARIOS, SCENARIOS } from '../src/scenarios/index.js';
import { planWorkload } from '../src/workflows.js';

describe('command line, seeds and the scenario list', () => {
  it('parses the options and refuses unknown ones and bad seeds', () => {
    expect(parseArgs(['--long', '--seed', '42', '--scenario', 'a,b', '--ci', '--keep'])).toEqual({
      mode: 'long',
      seed: 42,
      only: ['a', 'b'],
      ci: true,
      keep: true,
    });
    expect(parseArgs([]).mode).toBe('short');
    expect(() => parseArgs(['--seed', '-1'])).toThrow(/non-negative integer/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('plans the same workload for the same seed, and another for another seed', () => {
    const plan = (seed: number) =>
      planWorkload(createRng(seed).fork('worker-sigkill'), {
        count: 20,
        spreadMs: 5_000,
        minSleepMs: 10,
        maxSleepMs: 100,
        poison: ['throws'],
        tag: 't',
      });
    expect(plan(7)).toEqual(plan(7));
    expect(plan(7)).not.toEqual(plan(8));
    expect(
      plan(7)
        .filter((p) => p.mayFail)
        .map((p) => p.workflowId),
    ).toEqual(['poison-throws']);
  });

  it('names every scenario once, and CI runs only known ones', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of CI_SCENARIOS) expect(names).toContain(n);
  });
});
