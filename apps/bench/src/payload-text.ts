/**
 * Throughput of `payloadText` (`@spane/core`), the check and serialisation the engine runs
 * on every node output: ops/s for a 1 KiB and a 100 KiB output under the default 1 MiB
 * limit, next to a bare `JSON.stringify` of the same value. Prints one line per output.
 *
 * Each figure is the median of 7 rounds of 500 ms (the machine is shared; run it twice).
 *
 *   pnpm exec tsx --conditions=@spane/source src/payload-text.ts
 */
import { DEFAULT_LIMITS } from '@spane/core';
import { payloadText } from '@spane/core/internal';

/** One record of an output: mostly ASCII, one non-ASCII name in four. */
function record(i: number): Record<string, unknown> {
  return {
    id: `order-${i}`,
    customer: i % 4 === 0 ? `Zoë Müller ${i}` : `Customer Number ${i}`,
    email: `customer${i}@example.com`,
    amount: 1000 + i * 7.25,
    paid: i % 3 === 0,
    tags: ['priority', `batch-${i % 10}`],
    address: { street: `${i} Main Street`, city: 'Springfield', zip: `${10000 + i}` },
  };
}

/** An output of `{ items: [...] }` whose JSON is about `bytes` long. */
function output(bytes: number): unknown {
  const items: unknown[] = [];
  const value = { items };
  while (JSON.stringify(value).length < bytes) items.push(record(items.length));
  return value;
}

const ROUNDS = 7;

/**
 * Calls of `fn` per second of this process's CPU time in one round of about `ms` of wall
 * time (CPU time, not wall time: the machine is shared, and other processes' load would
 * otherwise move the figure more than the code does).
 */
function round(fn: () => void, ms: number): number {
  let calls = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 10; i++) fn();
    calls += 10;
  }
  const used = process.cpuUsage(cpu);
  return (calls * 1e6) / (used.user + used.system);
}

/** Median calls of `fn` per CPU second over {@link ROUNDS} rounds of 500 ms, after a warm-up. */
function opsPerSecond(fn: () => void): number {
  round(fn, 300);
  const rates = Array.from({ length: ROUNDS }, () => round(fn, 500)).sort((a, b) => a - b);
  return rates[Math.floor(ROUNDS / 2)]!;
}

for (const [label, bytes] of [
  ['1 KiB', 1024],
  ['100 KiB', 100 * 1024],
] as const) {
  const value = output(bytes);
  const limit = DEFAULT_LIMITS.maxPayloadBytes;
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  const checked = opsPerSecond(() => payloadText('output', value, limit));
  const bare = opsPerSecond(() => JSON.stringify(value));
  console.log(
    `${label} output (${size} bytes): payloadText ${Math.round(checked)} ops/s, ` +
      `JSON.stringify alone ${Math.round(bare)} ops/s (payloadText costs ×${(bare / checked).toFixed(2)})`,
  );
}
