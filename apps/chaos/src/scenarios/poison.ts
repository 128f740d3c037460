import { POISON_KINDS, type PoisonKind } from '../node-types.js';
import type { Scenario } from '../scenario.js';

/**
 * A small normal workload plus one execution whose middle node is a poison of `kind`; no
 * infrastructure fault. That execution must end failed (or its node dead-lettered), never
 * stay running.
 */
export function poisonScenario(kind: PoisonKind): Scenario {
  return {
    name: `poison-${kind}`,
    description: `poison node: ${POISON_KINDS[kind]}`,
    poison: [kind],
    executions: (mode) => (mode === 'short' ? 8 : 30),
    extraDeadlineMs: kind === 'exit' || kind === 'oom' ? 120_000 : 0,
    async inject() {},
  };
}
