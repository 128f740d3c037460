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
 * The short mode's scenarios in CI (`--ci`): the ones today's engine passes every time.
 * Left out until their finding of issue #16 is fixed (the long mode runs them all):
 * - `worker-sigkill`, `redis-kill-restart`: finding 5 (a `workflow:completed` event is
 *   lost when the process that committed dies, or Redis is down, before it is published;
 *   seen in 1 of 2 short runs of `redis-kill-restart`; `worker-sigkill` passed 3 of 3
 *   short runs but is exposed to the same window);
 * - `worker-zombie`: finding 3 (a run that lost its lock keeps running: concurrent runs
 *   under the same attempt; its late completion is not fenced);
 * - `redis-sigstop-10s`, `redis-sigstop-30s`: finding 3 (a stall past the lock starts
 *   running nodes a second time under the same attempt) and 8 (a long stall logs nothing);
 * - `pg-restart-fast`, `pg-terminate-backends`: finding 1 (a failed store write after a
 *   successful executor re-runs it under a new `ctx.attempt`: unexplained duplicate effects);
 * - `pg-stopped-10s`: findings 1 and 2 (an outage longer than the retry budget leaves
 *   executions running for ever, or fails nodes with ECONNREFUSED);
 * - `poison-exit`, `poison-oom`: finding 8 (a node that kills its worker crashes workers
 *   11 times before the DLQ: minutes, past the short mode's budget);
 * - `poison-hang`: finding 8 (no engine-wide default node timeout: never resolves, stuck).
 */
export const CI_SCENARIOS: string[] = [
  'worker-sigterm',
  'redis-flushall',
  'poison-throws',
  'poison-big',
  'poison-bigint',
  'poison-circular',
];
