import { describe, expect, it } from 'vitest';
import { loopTurn, turnAfter } from '../src/loop-turn.js';

/** Resolves once the event loop polled for I/O after this call (a timer fired). */
const afterPoll = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('loop turns', () => {
  it('loopTurn passes in the next check phase, not before', async () => {
    const turn = loopTurn();
    expect(turn.passed).toBe(false);
    await Promise.resolve();
    expect(turn.passed).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(turn.passed).toBe(true);
  });

  it('turnAfter waits for a turn unless the one it is given passed already', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    await turnAfter(undefined).then(() => order.push('no turn given'));
    expect(order).toEqual(['immediate', 'no turn given']);

    const turn = loopTurn();
    await afterPoll();
    expect(turn.passed).toBe(true);
    order.length = 0;
    setImmediate(() => order.push('immediate'));
    await turnAfter(turn).then(() => order.push('turn passed'));
    expect(order).toEqual(['turn passed']);

    const fresh = loopTurn();
    order.length = 0;
    setImmediate(() => order.push('immediate'));
    await turnAfter(fresh).then(() => order.push('fresh turn'));
    expect(order[order.length - 1]).toBe('fresh turn');
    expect(order).toContain('immediate');
  });
});
