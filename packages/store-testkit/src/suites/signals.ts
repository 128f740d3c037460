import {
  type ExecutionSignal,
  type ExecutionStore,
  InvalidArgumentError,
  type NewExecutionSignal,
  PayloadNotStorableError,
  type WorkflowPlan,
} from '@spane/core';
import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import {
  count,
  expectTimestamp,
  isoFromNow,
  mustGet,
  rejectionOf,
  saveAndCreate,
  tryMutate,
  uid,
} from '../helpers.js';
import type { SuiteContext } from '../types.js';

const UNICODE = 'emoji 😀🚀👩‍👩‍👧 CJK 漢字かなカナ한국어 RTL العربية עברית é ñ ß';

/** Payloads that stores get wrong: falsy values, unicode, escaping, nesting. */
const PAYLOADS: [label: string, value: unknown][] = [
  ['0', 0],
  ['false', false],
  ['the empty string', ''],
  ['null', null],
  ['an empty object', {}],
  ['an empty array', []],
  [
    'nested objects and arrays',
    { a: { b: [1, { c: [null, false, 0, '', [], {}] }] }, list: [[1, 2], [[[]]]] },
  ],
  ['unicode text', UNICODE],
  [
    'unicode keys, quotes and backslashes',
    { ключ: 'значение', '😀': '漢字', '': 'empty key', 'with "quote"': 'back\\slash \n' },
  ],
  ['large and small numbers', { maxSafe: 9007199254740991, big: 1e300, tiny: 5e-324 }],
];

/** A new execution (of a fresh one-node workflow, in `tenantId`'s scope when given). */
async function newExecution(store: ExecutionStore, tenantId?: string): Promise<string> {
  const plan: WorkflowPlan = chainPlan(uid('wf'), 1);
  const input = tenantId === undefined ? {} : { tenantId };
  return (await saveAndCreate(store, plan, input)).execution.executionId;
}

function signal(name: string, payload: unknown): NewExecutionSignal {
  return { name, kind: 'signal', payload };
}

/** Asserts a kept signal: name, kind and payload as given, and an ISO `receivedAt`. */
function expectSignal(actual: ExecutionSignal | undefined, expected: NewExecutionSignal): void {
  expect(actual).toBeDefined();
  const { receivedAt, ...rest } = actual!;
  expect(rest).toStrictEqual({
    name: expected.name,
    kind: expected.kind,
    payload: expected.payload,
  });
  expectTimestamp(receivedAt);
}

/**
 * recordSignal / getSignal: the first signal of a name per execution is kept (insert if
 * absent), exactly once under concurrency, scoped by tenant, deleted with its execution.
 * The purge test purges every finished execution of the store it runs on.
 */
export function signalsSuite(ctx: SuiteContext): void {
  describe('signals', () => {
    it('keeps the first signal of a name: a later one gets the kept signal, recorded false', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      expect(await store.getSignal(id, 'approve')).toBeNull();

      const first = await store.recordSignal(id, signal('approve', { by: 'ann', n: 1 }));
      expect(first?.recorded).toBe(true);
      expectSignal(first?.signal, signal('approve', { by: 'ann', n: 1 }));
      expect(await store.getSignal(id, 'approve')).toStrictEqual(first!.signal);

      const second = await store.recordSignal(id, signal('approve', { by: 'bob', n: 2 }));
      expect(second).toStrictEqual({ recorded: false, signal: first!.signal });
      const timeout = await store.recordSignal(id, {
        name: 'approve',
        kind: 'timeout',
        payload: null,
      });
      expect(timeout).toStrictEqual({ recorded: false, signal: first!.signal });
      expect(await store.getSignal(id, 'approve')).toStrictEqual(first!.signal);
    });

    it('a timeout record claims the name: a signal after it gets the timeout', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      const timeout: NewExecutionSignal = { name: 'wait', kind: 'timeout', payload: null };
      const claimed = await store.recordSignal(id, timeout);
      expect(claimed?.recorded).toBe(true);
      expectSignal(claimed?.signal, timeout);

      const late = await store.recordSignal(id, signal('wait', { late: true }));
      expect(late).toStrictEqual({ recorded: false, signal: claimed!.signal });
      expect(await store.getSignal(id, 'wait')).toStrictEqual(claimed!.signal);
    });

    it('names are per execution: the same name in two executions, two names in one', async () => {
      const store = ctx.store();
      const a = await newExecution(store);
      const b = await newExecution(store);
      const inA = await store.recordSignal(a, signal('go', 'a'));
      const inB = await store.recordSignal(b, signal('go', 'b'));
      const other = await store.recordSignal(a, signal('stop', 'a-stop'));
      expect([inA?.recorded, inB?.recorded, other?.recorded]).toEqual([true, true, true]);
      expect((await store.getSignal(a, 'go'))?.payload).toBe('a');
      expect((await store.getSignal(b, 'go'))?.payload).toBe('b');
      expect((await store.getSignal(a, 'stop'))?.payload).toBe('a-stop');
      expect(await store.getSignal(b, 'stop')).toBeNull();
    });

    it("is null for another tenant's execution and records nothing; the owner's tenant records", async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const owned = await newExecution(store, tenantId);
      const defaultTenant = await newExecution(store);

      expect(await store.recordSignal(owned, signal('go', 1), uid('tenant'))).toBeNull();
      expect(await store.recordSignal(defaultTenant, signal('go', 1), tenantId)).toBeNull();
      expect(await store.getSignal(owned, 'go')).toBeNull();
      expect(await store.getSignal(defaultTenant, 'go')).toBeNull();

      const recorded = await store.recordSignal(owned, signal('go', 2), tenantId);
      expect(recorded?.recorded).toBe(true);
      expect(recorded?.signal.payload).toBe(2);
      const again = await store.recordSignal(owned, signal('go', 3));
      expect(again).toStrictEqual({ recorded: false, signal: recorded!.signal });
    });

    it('is null for an unknown execution (getSignal too)', async () => {
      const store = ctx.store();
      const unknown = uid('no-such-execution');
      expect(await store.recordSignal(unknown, signal('go', 1))).toBeNull();
      expect(await store.recordSignal(unknown, signal('go', 1), uid('tenant'))).toBeNull();
      expect(await store.getSignal(unknown, 'go')).toBeNull();
    });

    it('records whatever the execution status is', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      await store.setExecutionStatus(id, 'cancelled');
      expect((await mustGet(store, id)).status).toBe('cancelled');
      const recorded = await store.recordSignal(id, signal('go', 'late'));
      expect(recorded?.recorded).toBe(true);
      expect((await store.getSignal(id, 'go'))?.payload).toBe('late');
    });

    for (const [label, value] of PAYLOADS) {
      it(`round-trips ${label} as a payload`, async () => {
        const store = ctx.store();
        const id = await newExecution(store);
        const given = signal('data', structuredClone(value));
        const recorded = await store.recordSignal(id, given);
        expect(recorded?.recorded).toBe(true);
        expectSignal(recorded?.signal, signal('data', value));
        expect((await store.getSignal(id, 'data'))?.payload).toStrictEqual(value);
        const kept = await store.recordSignal(id, signal('data', 'other'));
        expect(kept?.recorded).toBe(false);
        expect(kept?.signal.payload).toStrictEqual(value);
      });
    }

    it('of 20 concurrent calls recording one name exactly one records; all get the kept signal', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      const calls = Array.from({ length: 20 }, (_, i) =>
        i === 0
          ? ({ name: 'race', kind: 'timeout', payload: null } as const)
          : signal('race', { caller: i, text: UNICODE }),
      );
      const results = await Promise.all(calls.map((call) => store.recordSignal(id, call)));
      expect(results.every((r) => r !== null)).toBe(true);
      expect(count(results, (r) => r!.recorded)).toBe(1);
      const winner = results.find((r) => r!.recorded)!;
      const winnerCall = calls[results.indexOf(winner)]!;
      expectSignal(winner.signal, winnerCall);
      for (const r of results) expect(r!.signal).toStrictEqual(winner.signal);
      expect(await store.getSignal(id, 'race')).toStrictEqual(winner.signal);
    });

    it('signals are deleted with their execution by purgeExecutions', async () => {
      const store = ctx.store();
      const purged = await newExecution(store);
      const kept = await newExecution(store);
      await store.recordSignal(purged, signal('go', 1));
      await store.recordSignal(purged, signal('stop', 2));
      await store.recordSignal(kept, signal('go', 3));
      await store.setExecutionStatus(purged, 'cancelled');

      const finishedBefore = isoFromNow(24 * 3600 * 1000);
      for (let i = 0; i < 1000 && (await store.getExecution(purged)) !== null; i++) {
        await store.purgeExecutions({ finishedBefore });
      }
      expect(await store.getExecution(purged)).toBeNull();
      expect(await store.getSignal(purged, 'go')).toBeNull();
      expect(await store.getSignal(purged, 'stop')).toBeNull();
      expect(await store.recordSignal(purged, signal('go', 4))).toBeNull();
      expect(await store.getSignal(purged, 'go')).toBeNull();
      expect((await store.getSignal(kept, 'go'))?.payload).toBe(3);
    });

    it('returned signals are copies, and stored ones do not change when the caller mutates its payload', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      const payload = { nested: { value: 1 }, list: [1] };
      const recorded = await store.recordSignal(id, signal('go', payload));
      const snapshot = structuredClone(recorded!.signal);
      const mutate = (s: ExecutionSignal | null | undefined) =>
        tryMutate(() => {
          const p = s!.payload as { nested: { value: number }; list: number[] };
          p.nested.value = 2;
          p.list.push(2);
          s!.kind = 'timeout';
          s!.receivedAt = 'changed';
        });
      payload.nested.value = 3;
      payload.list.push(3);
      mutate(recorded!.signal);
      expect(await store.getSignal(id, 'go')).toStrictEqual(snapshot);
      mutate(await store.getSignal(id, 'go'));
      expect(await store.getSignal(id, 'go')).toStrictEqual(snapshot);
      mutate((await store.recordSignal(id, signal('go', 'other')))!.signal);
      expect(await store.getSignal(id, 'go')).toStrictEqual(snapshot);
    });

    it('refuses a payload that is not JSON (PayloadNotStorableError) and a bad name or kind (InvalidArgumentError), recording nothing', async () => {
      const store = ctx.store();
      const id = await newExecution(store);
      const bigint = await rejectionOf(store.recordSignal(id, signal('go', { n: 1n })));
      expect(bigint).toBeInstanceOf(PayloadNotStorableError);
      expect((bigint as PayloadNotStorableError).path).toBe('/n');
      const nul = await rejectionOf(store.recordSignal(id, signal('go', { s: 'a\u0000b' })));
      expect(nul).toBeInstanceOf(PayloadNotStorableError);
      const kind = { name: 'go', kind: 'other', payload: 1 } as unknown as NewExecutionSignal;
      expect(await rejectionOf(store.recordSignal(id, kind))).toBeInstanceOf(InvalidArgumentError);
      expect(await rejectionOf(store.recordSignal(id, signal('', 1)))).toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(await store.getSignal(id, 'go')).toBeNull();
      expect((await store.recordSignal(id, signal('go', 'fine')))?.recorded).toBe(true);
    });
  });
}
