import { describe, expect, it } from 'vitest';
import { type LogLine, LogQueue } from '../src/log-queue.js';

// The queue's own logic: when lines go out on their own and when a completion takes them.
// Its writer here records what it is given and finishes when the test says so; the real
// writer (and the completion statement that carries lines) is tested against PostgreSQL
// in log-lines-carried.test.ts.

function line(message: string): LogLine {
  return ['e1', null, 'info', message, null, '2026-12-07T00:00:00.000Z'];
}

/** A writer whose writes finish (or fail) when the test says so, in order. */
function recordingWriter() {
  const writes: { messages: string[]; finish: () => void; fail: (e: Error) => void }[] = [];
  const write = (lines: readonly LogLine[]) =>
    new Promise<void>((resolve, reject) => {
      writes.push({ messages: lines.map((l) => l[3]), finish: resolve, fail: reject });
    });
  return { writes, write };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A queue whose line 'x' was appended while a completion was in flight, and taken by the
 * next completion (`next`, not ended yet).
 */
function carriedByNext() {
  const w = recordingWriter();
  const q = new LogQueue({ write: w.write, maxLines: 10 });
  const inFlight = q.carry();
  const appended = q.append([line('x')]);
  inFlight.done();
  const next = q.carry();
  return { w, q, appended, next };
}

describe('LogQueue', () => {
  it('writes lines at once when no completion is in flight, one write at a time, in order', async () => {
    const w = recordingWriter();
    const q = new LogQueue({ write: w.write, maxLines: 10 });
    const first = q.append([line('a')]);
    const second = q.append([line('b'), line('c')]);
    const third = q.append([line('d')]);
    expect(w.writes.map((x) => x.messages)).toEqual([['a']]);
    w.writes[0]!.finish();
    await first;
    expect(w.writes.map((x) => x.messages)).toEqual([['a'], ['b', 'c', 'd']]);
    w.writes[1]!.finish();
    await Promise.all([second, third]);
  });

  it('keeps the lines appended while a completion is in flight for the next completion', async () => {
    // The next completion starts as the one in flight ends, and takes the line.
    const { w, appended, next } = carriedByNext();
    expect(next.lines.map((l) => l[3])).toEqual(['x']);
    let written = false;
    void appended.then(() => {
      written = true;
    });
    await turn();
    expect(w.writes).toEqual([]);
    expect(written).toBe(false);
    next.done();
    await appended;
    expect(w.writes).toEqual([]);
  });

  it('writes the lines on their own a turn after the completion in flight ended, when no next one took them', async () => {
    const w = recordingWriter();
    const q = new LogQueue({ write: w.write, maxLines: 10 });
    const inFlight = q.carry();
    const appended = q.append([line('x')]);
    await turn();
    expect(w.writes).toEqual([]);
    inFlight.done();
    expect(w.writes).toEqual([]);
    await turn();
    expect(w.writes.map((x) => x.messages)).toEqual([['x']]);
    w.writes[0]!.finish();
    await appended;
  });

  it('lets no completion take lines while other lines are being written (their order)', async () => {
    const w = recordingWriter();
    const q = new LogQueue({ write: w.write, maxLines: 10 });
    const first = q.append([line('1')]);
    const second = q.append([line('2')]);
    const carrier = q.carry();
    expect(carrier.lines).toEqual([]);
    w.writes[0]!.finish();
    await first;
    // The carrier in flight may still write nothing of them: '2' waits for it to end.
    expect(w.writes).toHaveLength(1);
    carrier.done();
    await turn();
    expect(w.writes.map((x) => x.messages)).toEqual([['1'], ['2']]);
    w.writes[1]!.finish();
    await second;
  });

  it('writes lines PostgreSQL might refuse on their own at once, never with a completion', async () => {
    const w = recordingWriter();
    const q = new LogQueue({ write: w.write, maxLines: 10 });
    const carrier = q.carry();
    // A lone surrogate's escape in meta (jsonb refuses it): out at once, a completion in flight.
    const odd: LogLine = ['e1', null, 'info', 'odd', '{"s":"\\ud800"}', line('')[5]];
    const oddCall = q.append([odd]);
    const plainCall = q.append([line('plain')]);
    expect(w.writes.map((x) => x.messages)).toEqual([['odd']]);
    w.writes[0]!.finish();
    await oddCall;
    // A plain line still waits for the next completion.
    carrier.done();
    const next = q.carry();
    expect(next.lines.map((l) => l[3])).toEqual(['plain']);
    next.done();
    await plainCall;
    // A timestamp past the year 9999 (written with a sign), or in the year 0 (which
    // PostgreSQL has not), goes on its own too.
    const dates = { far: '+010000-01-01T00:00:00.000Z', zero: '0000-01-01T00:00:00.000Z' };
    for (const [message, at] of Object.entries(dates)) {
      const carrying = q.carry();
      const call = q.append([['e1', null, 'info', message, null, at]]);
      expect(w.writes.at(-1)!.messages).toEqual([message]);
      carrying.done();
      w.writes.at(-1)!.finish();
      await call;
    }
    expect(w.writes.map((x) => x.messages)).toEqual([['odd'], ['far'], ['zero']]);
  });

  it('takes whole calls up to maxLines a write', async () => {
    const w = recordingWriter();
    const q = new LogQueue({ write: w.write, maxLines: 3 });
    const carrier = q.carry();
    const calls = [
      q.append([line('a'), line('b')]),
      q.append([line('c'), line('d')]),
      q.append([line('e')]),
    ];
    carrier.done();
    const next = q.carry();
    expect(next.lines.map((l) => l[3])).toEqual(['a', 'b']);
    next.done();
    await turn();
    expect(w.writes.map((x) => x.messages)).toEqual([['c', 'd', 'e']]);
    w.writes[0]!.finish();
    await Promise.all(calls);
  });

  it("rejects the carried lines' calls after a lost connection (unknown whether written)", async () => {
    const { w, appended, next } = carriedByNext();
    expect(next.lines.map((l) => l[3])).toEqual(['x']);
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {
      code: 'ECONNRESET',
    });
    next.done(lost);
    await expect(appended).rejects.toBe(lost);
    expect(w.writes).toEqual([]);
  });

  it('writes the carried lines on their own when the server refused the completion statement', async () => {
    const { w, appended, next } = carriedByNext();
    next.done(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    expect(w.writes.map((x) => x.messages)).toEqual([['x']]);
    w.writes[0]!.finish();
    await appended;
  });
});
