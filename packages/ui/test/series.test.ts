import { describe, expect, it } from 'vitest';
import {
  type ChartBox,
  chartScale,
  niceCeiling,
  POLL_MS,
  polylinePoints,
  pushSample,
  SAMPLE_CAPACITY,
  type Sample,
  sampleOf,
  visibleSamples,
  WINDOW_MS,
} from '../src/app/model/series.js';

const sample = (at: number, waiting = 0, active = 0, delayed = 0, failed = 0): Sample => ({
  at,
  waiting,
  active,
  delayed,
  failed,
});

// A plot of 100 × 50 at (10, 5): x = 10 + 100·t/window, y = 55 − 50·v/max.
const BOX: ChartBox = { width: 120, height: 60, left: 10, right: 10, top: 5, bottom: 5 };

describe('sampleOf', () => {
  it('keeps the four counts the chart draws and the time', () => {
    expect(
      sampleOf({ waiting: 3, active: 2, delayed: 1, failed: 7, completed: 9 } as never, 1000),
    ).toEqual(sample(1000, 3, 2, 1, 7));
  });

  it('reads a missing, negative or non-finite count as 0', () => {
    expect(sampleOf({ waiting: -1, active: Number.NaN, failed: 4 }, 5)).toEqual(
      sample(5, 0, 0, 0, 4),
    );
  });
});

describe('pushSample', () => {
  it('appends without changing the buffer it was given', () => {
    const before = [sample(1)];
    const after = pushSample(before, sample(2));
    expect(after.map((s) => s.at)).toEqual([1, 2]);
    expect(before.map((s) => s.at)).toEqual([1]);
  });

  it('drops the oldest beyond the capacity', () => {
    let buffer: Sample[] = [];
    for (let i = 1; i <= 5; i++) buffer = pushSample(buffer, sample(i), 3);
    expect(buffer.map((s) => s.at)).toEqual([3, 4, 5]);
  });

  it('keeps 60 samples (two minutes of 2 s polls) by default', () => {
    let buffer: Sample[] = [];
    for (let i = 1; i <= 100; i++) buffer = pushSample(buffer, sample(i * POLL_MS));
    expect(SAMPLE_CAPACITY).toBe(60);
    expect(WINDOW_MS).toBe(120_000);
    expect(buffer).toHaveLength(60);
    expect(buffer[0]?.at).toBe(41 * POLL_MS);
    expect(buffer[59]?.at).toBe(100 * POLL_MS);
  });

  it('leaves out a sample not newer than the newest (a late answer)', () => {
    const buffer = pushSample([sample(10), sample(20)], sample(15));
    expect(buffer.map((s) => s.at)).toEqual([10, 20]);
    expect(pushSample(buffer, sample(20)).map((s) => s.at)).toEqual([10, 20]);
  });

  it('keeps at least one sample for a capacity below 1', () => {
    expect(pushSample([sample(1)], sample(2), 0).map((s) => s.at)).toEqual([2]);
  });
});

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(
      [0, -3, 0.5, 1, 2, 3, 5, 6, 10, 11, 45, 50, 51, 101, 999, 1001].map(niceCeiling),
    ).toEqual([1, 1, 1, 1, 2, 5, 5, 10, 10, 20, 50, 50, 100, 200, 1000, 2000]);
  });

  it('is 1 for NaN and Infinity', () => {
    expect(niceCeiling(Number.NaN)).toBe(1);
    expect(niceCeiling(Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe('visibleSamples', () => {
  it('keeps the samples within the window ending at the newest', () => {
    const all = [sample(0), sample(50), sample(100), sample(160)];
    expect(visibleSamples(all, 100).map((s) => s.at)).toEqual([100, 160]);
    expect(visibleSamples([], 100)).toEqual([]);
  });
});

describe('chartScale', () => {
  it('spans the window ending at the newest sample, left to right', () => {
    const scale = chartScale([sample(1000), sample(1100)], BOX, 200);
    expect(scale.start).toBe(900);
    expect(scale.end).toBe(1100);
    expect(scale.x(900)).toBe(10);
    expect(scale.x(1000)).toBe(60);
    expect(scale.x(1100)).toBe(110);
  });

  it('clamps times outside the window to the plot', () => {
    const scale = chartScale([sample(1000)], BOX, 200);
    expect(scale.x(0)).toBe(10);
    expect(scale.x(5000)).toBe(110);
  });

  it('tops the y axis at a round number over every series, counts growing upwards', () => {
    const scale = chartScale([sample(0, 3, 1, 0, 0), sample(10, 0, 0, 7, 2)], BOX, 100);
    expect(scale.max).toBe(10);
    expect(scale.y(0)).toBe(55);
    expect(scale.y(10)).toBe(5);
    expect(scale.y(5)).toBe(30);
    expect(scale.y(99)).toBe(5);
  });

  it('ignores samples older than the window for the top', () => {
    const scale = chartScale([sample(0, 500), sample(1000, 3)], BOX, 100);
    expect(scale.max).toBe(5);
  });

  it('has a top of 1 with nothing to draw or all zeros', () => {
    expect(chartScale([], BOX, 100).max).toBe(1);
    expect(chartScale([sample(5)], BOX, 100).max).toBe(1);
  });
});

describe('polylinePoints', () => {
  it('gives x,y pairs of a series, oldest first', () => {
    const samples = [sample(0, 0), sample(50, 5), sample(100, 10)];
    const scale = chartScale(samples, BOX, 100);
    expect(polylinePoints(samples, 'waiting', scale)).toBe('10,55 60,30 110,5');
    expect(polylinePoints(samples, 'failed', scale)).toBe('10,55 60,55 110,55');
  });

  it('leaves out samples before the window and rounds to one decimal', () => {
    const samples = [sample(0, 9), sample(200, 1), sample(230, 2), sample(500, 2)];
    const scale = chartScale(samples, BOX, 300);
    expect(scale.max).toBe(2);
    expect(polylinePoints(samples, 'waiting', scale)).toBe('10,30 20,5 110,5');
  });

  it('is empty without samples', () => {
    expect(polylinePoints([], 'active', chartScale([], BOX, 100))).toBe('');
  });
});
