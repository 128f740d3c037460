/**
 * Every scenario, and the ones the short mode runs in CI (`--ci`).
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
 * The short mode's scenarios in CI (`--ci`): one of each kind of fault — a worker killed,
 * frozen past its lock and stopped; Redis killed, flushed and stalled; PostgreSQL
 * restarted, stopped and its connections cut — and the quick poison nodes, within a few
 * minutes. The long mode runs them all, with more executions, plus the 30 s Redis stall
 * and the slow poisons (`exit`, `oom`, `hang`: a crash loop or a timeout per node, minutes
 * in all).
 */
export const CI_SCENARIOS: string[] = [
  'worker-sigkill',
  'worker-zombie',
  'worker-sigterm',
  'redis-kill-restart',
  'redis-flushall',
  'redis-sigstop-10s',
  'pg-restart-fast',
  'pg-stopped-10s',
  'pg-terminate-backends',
  'poison-throws',
  'poison-bigint',
];
