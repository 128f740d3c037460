import type { ExecutionStore } from '@spane/core';
import { expect, it as vitestIt } from 'vitest';
import type { SuiteContext } from '../types.js';

/** The optional parts of an `ExecutionStore` that have a suite of their own. */
export type OptionalPart = 'secrets' | 'apiKeys';

/** Registers one test of an optional part, given the part and the whole store. */
export type PartIt<K extends OptionalPart> = (
  name: string,
  fn: (part: NonNullable<ExecutionStore[K]>, store: ExecutionStore) => Promise<void>,
  timeout?: number,
) => void;

/**
 * The `it` of a suite of an optional part (`store.secrets`, `store.apiKeys`): the test runs
 * when the store has the part, and is reported as skipped, with the reason, when the part
 * is `undefined` (the suite's first test checks it is exactly that, or a whole part).
 */
export function partIt<K extends OptionalPart>(ctx: SuiteContext, key: K): PartIt<K> {
  return (name, fn, timeout) => {
    vitestIt(
      name,
      async (test) => {
        const store = ctx.store();
        const part = store[key];
        if (part === undefined) test.skip(`the store has no ${key} (store.${key} is undefined)`);
        await fn(part as NonNullable<ExecutionStore[K]>, store);
      },
      timeout,
    );
  };
}

/**
 * Registers the test that `store[key]` is either `undefined` (the store has no such part)
 * or an object with every method of `methods`.
 */
export function partShapeTest(ctx: SuiteContext, key: OptionalPart, methods: readonly string[]) {
  vitestIt(`store.${key} is undefined or has every method (${methods.join(', ')})`, () => {
    const part = ctx.store()[key] as Record<string, unknown> | null | undefined;
    // Absent means undefined: null or a partial object is neither absent nor a part.
    if (part === undefined) return;
    expect(part, `store.${key}`).not.toBeNull();
    expect(typeof part, `store.${key}`).toBe('object');
    for (const method of methods) {
      expect(typeof part?.[method], `store.${key}.${method}`).toBe('function');
    }
  });
}

/** The results of `calls` once all have settled: the values and the errors. */
export async function settledCounts<T>(
  calls: readonly Promise<T>[],
): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(calls);
  const values: T[] = [];
  const errors: unknown[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') values.push(r.value);
    else errors.push(r.reason);
  }
  return { values, errors };
}
