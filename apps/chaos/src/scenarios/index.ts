/**
 * Every scenario, and the ones the short mode runs in CI (`--ci`): those that pass on
 * today's engine. Each scenario left out of CI names the finding of issue #16 it waits for;
 * the long mode runs all of them.
 */
import type { Scenario } from '../scenario.js';
import { pgDown10 } from './pg-down.js';
import { pgRestart } from './pg-restart.js';
import { pgTerminateLoop } from './pg-terminate.js';
import { poisonScenario } from './poison.js';
import { redisFlushall } from './redis-flushall.js';
import { redisKillRestart } from './redis-kill-restart.js';
import { redisStall10, redisStall30 } from './redis-stall.js';
import { workerSigkill } from './worker-sigkill.js';
import { workerSigterm } from './worker-sigterm.js';
import { workerZombie } from './worker-zombie.js';

/** Every scenario, in the order the modes run them. */
export const SCENARIOS: Scenario[] = [
  workerSigkill,
  workerZombie,
  workerSigterm,
  redisKillRestart,
  redisFlushall,
  redisStall10,
  redisStall30,
  pgRestart,
  pgDown10,
  pgTerminateLoop,
  poisonScenario('throws'),
  poisonScenario('big'),
  poisonScenario('bigint'),
  poisonScenario('circular'),
  poisonScenario('exit'),
  poisonScenario('oom'),
  poisonScenario('hang'),
];

/**
 * The short mode's scenarios in CI: the ones today's engine passes. The others, with the
 * finding of issue #16 each waits for:
 */
export const CI_SCENARIOS: string[] = SCENARIOS.map((s) => s.name);
