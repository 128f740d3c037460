import { expect, it } from 'vitest';
import { walkThrough } from '../src/planning.js';

it('runs the urgent branch, skips the other one and runs the join once with its data', async () => {
  const lines: string[] = [];
  const final = await walkThrough({ ticket: 'T-1', priority: 'high' }, (l) => lines.push(l));
  expect(final.status).toBe('completed');
  expect(final.nodeResults.normal).toMatchObject({ status: 'skipped', skipReason: 'not-selected' });
  expect(final.nodeResults.escalate).toMatchObject({
    status: 'skipped',
    skipReason: 'upstream-skipped',
  });
  expect(final.nodeResults.notify).toMatchObject({
    status: 'completed',
    attempts: 1,
    data: { sentFor: { urgent: { paged: 'T-1' } } },
  });
  expect(lines.filter((l) => l.startsWith('ran notify'))).toHaveLength(1);
});

it('takes the normal branch for other priorities', async () => {
  const final = await walkThrough({ ticket: 'T-2', priority: 'low' }, () => {});
  expect(final.nodeResults.urgent).toMatchObject({ status: 'skipped', skipReason: 'not-selected' });
  expect(final.nodeResults.notify?.data).toEqual({
    sentFor: { escalate: { sentFor: { queued: 'T-2' } } },
  });
});
