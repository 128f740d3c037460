import { walkThrough } from './planning.js';

const final = await walkThrough({ ticket: 'T-42', priority: 'high' });
const nodes = final.nodeResults;
const ok =
  final.status === 'completed' &&
  nodes.urgent?.status === 'completed' &&
  nodes.normal?.skipReason === 'not-selected' &&
  nodes.escalate?.skipReason === 'upstream-skipped' &&
  nodes.notify?.status === 'completed';
console.log(
  ok ? 'OK: the join ran once, the unselected branch was skipped' : 'FAILED: unexpected outcome',
);
process.exit(ok ? 0 : 1);
