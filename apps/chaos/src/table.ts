/** The results table every mode prints. */
import { passes } from './invariants.js';
import type { ScenarioOutcome } from './run-scenario.js';

const HEAD = [
  'scenario',
  'executions',
  'lost',
  'stuck',
  'duplicated effects',
  'concurrent same-attempt runs',
  'recovery time',
  'other breaches',
  'result',
];

/** Other invariant breaches of an outcome, as a short text (`-` when none). */
function others(o: ScenarioOutcome): string {
  const r = o.result;
  const parts: [string, number][] = [
    ['unexpected failed', r.unexpectedFailed],
    ['unexplained dup', r.unexplainedDuplicates],
    ['bad results', r.badResults],
    ['leftover jobs', r.leftoverJobs],
    ['missing completed events', r.missingCompletedEvents],
    ['never enqueued', r.unenqueued],
  ];
  const text = parts.filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  return text.length ? text.join(', ') : '-';
}

/** A markdown table of the outcomes. */
export function formatTable(outcomes: ScenarioOutcome[]): string {
  const rows = outcomes.map((o) => {
    const r = o.result;
    return [
      o.scenario,
      String(r.executions),
      String(r.lost),
      String(r.stuck),
      `${r.duplicatedEffects}${r.unexplainedDuplicates ? ` (${r.unexplainedDuplicates} unexplained)` : ''}`,
      String(r.concurrentSameAttempt),
      o.recoveryMs === undefined ? 'deadline passed' : `${(o.recoveryMs / 1000).toFixed(1)} s`,
      others(o),
      o.error ? 'ERROR' : passes(o.result) ? 'ok' : 'FAIL',
    ];
  });
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(HEAD),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
