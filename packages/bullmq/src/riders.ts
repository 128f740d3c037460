import type { WorkflowPlan } from '@spane/core';
import type { Redis } from 'ioredis';
import { type NodeQueues, nodeJobState } from './node-queues.js';
import type { RedisKeys } from './redis-keys.js';

/**
 * How long an execution's rider index is kept (ms): far longer than a rider waits for its
 * carrier (a carried run goes on for at most a second after its carrier's job began).
 */
export const RIDER_INDEX_TTL_MS = 3_600_000;

/** Job states in which a carrier's job will still run (or is running) its riders. */
const LIVE_STATES = new Set(['active', 'waiting', 'prioritized', 'delayed', 'waiting-children']);

/**
 * Shares `overflow` — children of one completion that found no free worker slot here —
 * among the jobs that will run now: the completing job (`self`, which may take `selfLeft`
 * more) and the jobs of its siblings handed to free slots (`carriers`, each taking up to
 * `each`), one at a time in turn, so that every busy slot gets about as many. Returns what
 * `self` takes, each carrier's riders, and those left over (they get jobs of their own).
 */
export function shareOut(
  overflow: readonly string[],
  selfLeft: number,
  carriers: readonly string[],
  each: number,
): { self: string[]; riders: Map<string, string[]>; left: string[] } {
  const self: string[] = [];
  const riders = new Map<string, string[]>();
  const takers = [{ room: selfLeft, got: self }];
  for (const id of carriers) {
    const got: string[] = [];
    riders.set(id, got);
    takers.push({ room: each, got });
  }
  let turn = 0;
  let i = 0;
  for (; i < overflow.length; i++) {
    let tries = 0;
    while (tries < takers.length && takers[turn % takers.length]!.room <= 0) {
      turn += 1;
      tries += 1;
    }
    if (tries === takers.length) break;
    const taker = takers[turn % takers.length]!;
    taker.got.push(overflow[i]!);
    taker.room -= 1;
    turn += 1;
  }
  for (const [id, got] of riders) if (got.length === 0) riders.delete(id);
  return { self, riders, left: overflow.slice(i) };
}

/** What {@link RiderIndex} needs. */
export interface RiderIndexContext {
  redis: Pick<Redis, 'multi' | 'hmget'>;
  keys: Pick<RedisKeys, 'riders'>;
  queues: Pick<NodeQueues, 'forNode'>;
}

/**
 * Which job carries a rider: a child that a fan-out's completion started and gave to a
 * sibling's job to run after the sibling's own node (no job of its own). A rider shows
 * `running` without a job while it waits; the reconciler, `explain` and the follow-up of
 * a recorded completion look here before they give it a job of its own.
 */
export class RiderIndex {
  readonly #ctx: RiderIndexContext;

  constructor(ctx: RiderIndexContext) {
    this.#ctx = ctx;
  }

  /** Records the riders of one completion (carrier → riders); kept {@link RIDER_INDEX_TTL_MS}. */
  async record(executionId: string, riders: ReadonlyMap<string, readonly string[]>): Promise<void> {
    if (riders.size === 0) return;
    const fields: string[] = [];
    for (const [carrier, list] of riders) for (const id of list) fields.push(id, carrier);
    const key = this.#ctx.keys.riders(executionId);
    await this.#ctx.redis
      .multi()
      .hset(key, ...fields)
      .pexpire(key, RIDER_INDEX_TTL_MS)
      .exec();
  }

  /**
   * The carrier of each of `nodeIds` (riders of an execution) whose job is still there to
   * run it (active, or waiting to be): rider → carrier node.
   */
  async carriers(
    plan: WorkflowPlan,
    executionId: string,
    nodeIds: readonly string[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (nodeIds.length === 0) return found;
    const carriers = await this.#ctx.redis.hmget(this.#ctx.keys.riders(executionId), ...nodeIds);
    const states = new Map<string, Promise<string>>();
    const stateOf = (carrier: string) => {
      let state = states.get(carrier);
      if (state === undefined) {
        state = nodeJobState(this.#ctx.queues, plan, executionId, carrier);
        states.set(carrier, state);
      }
      return state;
    };
    await Promise.all(
      nodeIds.map(async (id, i) => {
        const carrier = carriers[i];
        if (carrier && LIVE_STATES.has(await stateOf(carrier))) found.set(id, carrier);
      }),
    );
    return found;
  }
}
