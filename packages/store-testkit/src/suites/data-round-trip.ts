import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { begin, mustGet, saveAndCreate, tryMutate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

const TRICKY_STRING =
  'quote " apostrophe \' backslash \\ slash / newline \n tab \t return \r line-sep \u2028 literal \\u0041 \\n';
const UNICODE = 'emoji 😀🚀👩‍👩‍👧 CJK 漢字かなカナ한국어 RTL العربية עברית é ñ ß';

/** JSON values that stores get wrong: falsy values, unicode, precision, escaping, nesting. */
const VALUES: [label: string, value: unknown][] = [
  ['0', 0],
  ['false', false],
  ['the empty string', ''],
  ['null', null],
  ['true', true],
  ['a negative fraction', -1.5],
  ['an empty object', {}],
  ['an empty array', []],
  [
    'nested objects and arrays',
    {
      a: { b: { c: [1, { d: [null, false, 0, '', [], {}] }] } },
      list: [[1, 2], [3], [[[]]]],
      mixed: [0, false, '', null, 'x', { y: null }],
    },
  ],
  ['unicode text', UNICODE],
  [
    'unicode keys and values',
    { ключ: 'значение', '😀': '漢字', עברית: ['العربية'], '': 'empty key' },
  ],
  [
    'large and small numbers',
    {
      maxSafe: 9007199254740991,
      minSafe: -9007199254740991,
      big: 1e300,
      max: 1.7976931348623157e308,
      tiny: 5e-324,
      fraction: 123456.789,
      negative: -0.000123,
      integerFloat: 1e21,
    },
  ],
  ['strings with quotes and backslashes', TRICKY_STRING],
  [
    'keys with quotes, dots and backslashes',
    { 'a.b': 1, 'with "quote"': 2, "it's": 3, 'back\\slash': 4, '{}[]': 5, $ref: 6 },
  ],
];

/** initialData, node data, metadata and errors round-trip exactly; returned objects are copies. */
export function dataRoundTripSuite(ctx: SuiteContext): void {
  describe('data-round-trip', () => {
    for (const [label, value] of VALUES) {
      it(`round-trips ${label} as initialData and node data`, async () => {
        const store = ctx.store();
        const plan = chainPlan(uid('wf'), 3);
        const created = await saveAndCreate(store, plan, { initialData: structuredClone(value) });
        const id = created.execution.executionId;
        expect(created.execution.initialData).toStrictEqual(value);
        expect((await mustGet(store, id)).initialData).toStrictEqual(value);

        const a = await begin(store, plan, id, 'A');
        expect(a.initialData).toStrictEqual(value);
        expect(a.inputData).toStrictEqual(value);
        await store.completeNode(plan, id, 'A', {
          type: 'completed',
          data: structuredClone(value),
        });
        expect((await mustGet(store, id)).nodeResults.A?.data).toStrictEqual(value);

        const b = await begin(store, plan, id, 'B');
        expect(b.inputData).toStrictEqual(value);
        expect(b.previousResults.A).toStrictEqual({ success: true, data: value });
        expect(b.initialData).toStrictEqual(value);
      });
    }

    it('round-trips metadata, errors and failure data', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const metadata = {
        zero: 0,
        no: false,
        empty: '',
        nothing: null,
        text: UNICODE,
        deep: { a: [TRICKY_STRING] },
      };
      const id = (await saveAndCreate(store, plan, { metadata: structuredClone(metadata) }))
        .execution.executionId;
      expect((await mustGet(store, id)).metadata).toStrictEqual(metadata);
      const patched = await store.updateExecutionMetadata(id, { extra: { list: [0, null] } });
      expect(patched.metadata).toStrictEqual({ ...metadata, extra: { list: [0, null] } });

      await begin(store, plan, id, 'A');
      const error = `${UNICODE} ${TRICKY_STRING}`;
      await store.completeNode(plan, id, 'A', { type: 'failed', error, data: { partial: 0 } });
      const state = await mustGet(store, id);
      expect(state.nodeResults.A?.error).toBe(error);
      expect(state.nodeResults.A?.data).toStrictEqual({ partial: 0 });
      expect(state.metadata).toStrictEqual({ ...metadata, extra: { list: [0, null] } });

      const other = (await saveAndCreate(store, plan)).execution.executionId;
      await store.setExecutionStatus(other, 'running');
      await store.setExecutionStatus(other, 'failed', { error });
      expect((await mustGet(store, other)).error).toBe(error);
    });

    it('returned executions are copies', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const created = await saveAndCreate(store, plan, {
        initialData: { nested: { value: 1 }, list: [1] },
        metadata: { key: 'value' },
      });
      const id = created.execution.executionId;
      const snapshot = await mustGet(store, id);

      const mutateExecution = (e: Record<string, any>) =>
        tryMutate(() => {
          e.status = 'completed';
          e.version = 999;
          e.initialData.nested.value = 2;
          e.initialData.list.push(2);
          e.metadata.key = 'changed';
          e.metadata.added = true;
          e.nodeResults.A.status = 'completed';
          e.nodeResults.B = { status: 'failed', attempts: 9 };
        });
      mutateExecution(created.execution);
      expect(await mustGet(store, id)).toEqual(snapshot);
      mutateExecution(await mustGet(store, id));
      expect(await mustGet(store, id)).toEqual(snapshot);

      const page = await store.listExecutions({ workflowId: plan.workflowId });
      tryMutate(() => {
        const item = page.items[0] as Record<string, any>;
        item.status = 'failed';
        item.metadata.key = 'changed';
      });
      expect(await mustGet(store, id)).toEqual(snapshot);

      const a = await begin(store, plan, id, 'A');
      tryMutate(() => {
        (a.inputData as any).nested.value = 3;
        (a.initialData as any).list.push(3);
      });
      await store.completeNode(plan, id, 'A', { type: 'completed', data: { out: [1] } });
      const afterA = await mustGet(store, id);
      expect(afterA.initialData).toEqual({ nested: { value: 1 }, list: [1] });
      const b = await begin(store, plan, id, 'B');
      tryMutate(() => {
        (b.inputData as any).out.push(2);
        (b.previousResults.A as any).data.out.push(2);
        (b.previousResults.A as any).success = false;
      });
      const c = await begin(store, plan, id, 'B');
      expect(c.inputData).toEqual({ out: [1] });
      expect(c.previousResults).toEqual({ A: { success: true, data: { out: [1] } } });
    });

    it('stored data does not change when the caller later mutates what it passed', async () => {
      const store = ctx.store();
      const plan = chainPlan(uid('wf'), 2);
      const initialData = { nested: { value: 1 } };
      const metadata: Record<string, unknown> = { key: 'value' };
      const id = (await saveAndCreate(store, plan, { initialData, metadata })).execution
        .executionId;
      initialData.nested.value = 2;
      metadata.key = 'changed';
      const patch = { patched: { list: [1] } };
      await store.updateExecutionMetadata(id, patch);
      patch.patched.list.push(2);

      await begin(store, plan, id, 'A');
      const data = { out: { value: 1 } };
      await store.completeNode(plan, id, 'A', { type: 'completed', data });
      data.out.value = 2;

      const state = await mustGet(store, id);
      expect(state.initialData).toEqual({ nested: { value: 1 } });
      expect(state.metadata).toEqual({ key: 'value', patched: { list: [1] } });
      expect(state.nodeResults.A?.data).toEqual({ out: { value: 1 } });
    });

    it('returned workflows are copies', async () => {
      const store = ctx.store();
      const tenantId = uid('tenant');
      const plan = chainPlan(uid('wf'), 2);
      const saved = await store.saveWorkflow(plan, { tenantId });
      const mutate = (w: Record<string, any>) =>
        tryMutate(() => {
          w.version = 'changed';
          w.definition.name = 'changed';
          w.definition.nodes.push({ id: 'Z', type: 'x' });
          w.definition.nodes[0].type = 'changed';
        });
      mutate(saved.workflow);
      mutate((await store.getWorkflow(plan.workflowId, { tenantId }))!);
      for (const w of await store.listWorkflows({ tenantId })) mutate(w);
      for (const w of await store.listWorkflowVersions(plan.workflowId, { tenantId })) mutate(w);
      const stored = await store.getWorkflow(plan.workflowId, { tenantId });
      expect(stored?.version).toBe(plan.version);
      expect(stored?.definition).toEqual(plan.definition);
    });
  });
}
