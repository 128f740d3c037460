import { describe, expect, it } from 'vitest';
import { chainPlan } from '../fixtures.js';
import { begin, mustGet, saveAndCreate, uid } from '../helpers.js';
import type { SuiteContext } from '../types.js';

/** `capabilities`: declared, and honoured as declared. */
export function capabilitiesSuite(ctx: SuiteContext): void {
  describe('capabilities', () => {
    it('are declared as booleans', () => {
      const { capabilities } = ctx.store();
      expect(typeof capabilities.startsNodes).toBe('boolean');
      expect(typeof capabilities.telemetryWithOutcome).toBe('boolean');
    });

    it('startsNodes says whether createExecution and completeNode start the nodes named in start', async () => {
      const store = ctx.store();
      const starts = store.capabilities.startsNodes;
      const plan = chainPlan(uid('wf'), 3);
      const created = await saveAndCreate(store, plan, { start: ['A'] });
      expect(created.started ?? [], 'createExecution started').toEqual(starts ? ['A'] : []);
      const id = created.execution.executionId;
      if (!starts) await begin(store, plan, id, 'A');
      const done = await store.completeNode(
        plan,
        id,
        'A',
        { type: 'completed', data: 1 },
        undefined,
        { start: ['B'] },
      );
      expect(done.ready).toEqual(['B']);
      expect(done.started ?? [], 'completeNode started').toEqual(starts ? ['B'] : []);
      const node = (await mustGet(store, id)).nodeResults.B;
      expect(node?.status).toBe(starts ? 'running' : 'queued');
    });
  });
}
