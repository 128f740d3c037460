import { describe, expect, it } from 'vitest';
import { loopTurn, turnAfter, turnPassed } from '../src/loop-turn.js';

/** Resolves once the event loop polled for I/O after this call (a timer fired). */
const afterPoll = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('loop turns', () => {
  it('loopTurn passes in the next check phase, not before; calls of one turn share it', async () => {
    const turn = loopTurn();
    expect(turnPassed(turn)).toBe(false);
    expect(loopTurn()).toBe(turn);
    await Promise.resolve();
    expect(turnPassed(turn)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(turnPassed(turn)).toBe(true);
  });

  it('turnAfter waits for a turn unless the one it is given passed already', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    await turnAfter(loopTurn()).then(() => order.push('no turn passed'));
    expect(order).toEqual(['immediate', 'no turn passed']);

    const turn = loopTurn();
    await afterPoll();
    expect(turnPassed(turn)).toBe(true);
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
