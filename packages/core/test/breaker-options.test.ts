import { describe, expect, it } from 'vitest';
import {
  type BreakerOptions,
  type INodeExecutor,
  InvalidArgumentError,
  MAX_TIMEOUT_MS,
  NodeRegistry,
  nodeTypeInfo,
} from '../src/index.js';

const executor: INodeExecutor = { execute: async () => ({ success: true }) };
const GOOD: BreakerOptions = {
  failureRate: 0.5,
  minimumRuns: 10,
  windowMs: 60_000,
  openMs: 30_000,
};

function register(breaker: unknown): () => NodeRegistry {
  return () => new NodeRegistry().register('t', executor, { breaker: breaker as BreakerOptions });
}

describe('breaker option of a node type', () => {
  it('accepts a valid breaker and lists it in the catalogue entry as plain JSON', () => {
    const registry = register(GOOD)();
    const options = registry.getRegistration('t').options;
    expect(options.breaker).toEqual(GOOD);
    expect(nodeTypeInfo('t', options, false)).toEqual({ type: 't', builtIn: false, breaker: GOOD });
    expect(
      register({ ...GOOD, failureRate: 1, windowMs: MAX_TIMEOUT_MS, openMs: 1 }),
    ).not.toThrow();
  });

  it.each([
    ['not an object', 'yes', /breaker of 't' must be an object/],
    ['null', null, /breaker of 't' must be an object/],
    ['a zero rate', { ...GOOD, failureRate: 0 }, /failureRate of 't' must be a number above 0/],
    ['a rate above 1', { ...GOOD, failureRate: 1.5 }, /failureRate .* got 1.5/],
    ['a rate that is NaN', { ...GOOD, failureRate: Number.NaN }, /failureRate/],
    ['a string rate', { ...GOOD, failureRate: '0.5' }, /failureRate/],
    [
      'no minimumRuns',
      { ...GOOD, minimumRuns: undefined },
      /breaker.minimumRuns must be a positive integer/,
    ],
    ['a fractional minimumRuns', { ...GOOD, minimumRuns: 1.5 }, /breaker.minimumRuns/],
    ['a zero windowMs', { ...GOOD, windowMs: 0 }, /breaker.windowMs must be a positive integer/],
    [
      'a windowMs over the maximum',
      { ...GOOD, windowMs: MAX_TIMEOUT_MS + 1 },
      /breaker.windowMs must be at most/,
    ],
    ['a negative openMs', { ...GOOD, openMs: -1 }, /breaker.openMs must be a positive integer/],
    ['an openMs of Infinity', { ...GOOD, openMs: Number.POSITIVE_INFINITY }, /breaker.openMs/],
  ])('refuses %s with InvalidArgumentError', (_what, breaker, message) => {
    expect(register(breaker)).toThrow(InvalidArgumentError);
    expect(register(breaker)).toThrow(message);
  });
});
