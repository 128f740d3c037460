import type { QueueStats } from '../api/types.js';

/** The queue counts the live chart draws, in legend order. */
export const SERIES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** One of the {@link SERIES}. */
export type SeriesKey = (typeof SERIES)[number];

/** The counts of one poll of `GET /api/stats`, and when it was taken (ms since the epoch). */
export type Sample = { at: number } & Record<SeriesKey, number>;

/** How often the queues page polls the stats. */
export const POLL_MS = 2_000;

/** How many samples the chart keeps: 60 polls of 2 s, two minutes. */
export const SAMPLE_CAPACITY = 60;

/** The time the chart spans. */
export const WINDOW_MS = POLL_MS * SAMPLE_CAPACITY;

/** A sample of the counts the chart draws (anything missing or not a count reads as 0). */
export function sampleOf(counts: Partial<Pick<QueueStats, SeriesKey>>, at: number): Sample {
  const read = (key: SeriesKey) => {
    const value = counts[key];
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  };
  return {
    at,
    waiting: read('waiting'),
    active: read('active'),
    delayed: read('delayed'),
    failed: read('failed'),
  };
}

/**
 * The buffer with `sample` added as the newest, the oldest dropped beyond `capacity` (a
 * ring buffer as an immutable array, for component state). A sample not newer than the
 * newest kept (a late answer of an overlapping poll) is left out.
 */
export function pushSample(
  samples: readonly Sample[],
  sample: Sample,
  capacity = SAMPLE_CAPACITY,
): Sample[] {
  const last = samples[samples.length - 1];
  if (last && sample.at <= last.at) return samples.slice();
  const next = [...samples, sample];
  const size = Math.max(1, Math.floor(capacity));
  return next.length > size ? next.slice(next.length - size) : next;
}

/** The drawing box of the chart (SVG user units): its size and the margins around the plot. */
export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The box the queues page draws in (scaled to the page width by its viewBox). */
export const CHART_BOX: ChartBox = {
  width: 600,
  height: 180,
  left: 44,
  right: 12,
  top: 12,
  bottom: 24,
};

/** Where values land in a {@link ChartBox}. */
export interface ChartScale {
  /** The oldest time drawn (the newest sample's time less the window). */
  start: number;
  /** The newest sample's time: the right edge. */
  end: number;
  /** The count at the top edge: a round number at least the highest count drawn, at least 1. */
  max: number;
  /** The x of a time (clamped to the plot). */
  x: (at: number) => number;
  /** The y of a count (clamped to the plot). */
  y: (value: number) => number;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … that is at least `n` (1 for 0 and below). */
export function niceCeiling(n: number): number {
  if (!Number.isFinite(n) || n <= 1) return 1;
  let step = 10 ** Math.floor(Math.log10(n));
  for (;;) {
    for (const m of [1, 2, 5]) if (m * step >= n) return m * step;
    step *= 10;
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The samples within the window that ends at the newest one. */
export function visibleSamples(samples: readonly Sample[], windowMs = WINDOW_MS): Sample[] {
  const last = samples[samples.length - 1];
  if (!last) return [];
  return samples.filter((s) => s.at >= last.at - windowMs);
}

/**
 * The scale of a chart of `samples` in `box`: time runs left to right over `windowMs` ending
 * at the newest sample, counts bottom to top from 0 to a round maximum over every series.
 */
export function chartScale(
  samples: readonly Sample[],
  box: ChartBox = CHART_BOX,
  windowMs = WINDOW_MS,
): ChartScale {
  const shown = visibleSamples(samples, windowMs);
  const end = shown[shown.length - 1]?.at ?? 0;
  const start = end - windowMs;
  let highest = 0;
  for (const s of shown) for (const key of SERIES) highest = Math.max(highest, s[key]);
  const max = niceCeiling(highest);
  const plotWidth = Math.max(1, box.width - box.left - box.right);
  const plotHeight = Math.max(1, box.height - box.top - box.bottom);
  const right = box.left + plotWidth;
  const bottom = box.top + plotHeight;
  return {
    start,
    end,
    max,
    x: (at) => clamp(box.left + ((at - start) / windowMs) * plotWidth, box.left, right),
    y: (value) => clamp(bottom - (value / max) * plotHeight, box.top, bottom),
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The `points` attribute of a series' `<polyline>`: `x,y` pairs of the samples in the window. */
export function polylinePoints(
  samples: readonly Sample[],
  key: SeriesKey,
  scale: ChartScale,
): string {
  return samples
    .filter((s) => s.at >= scale.start && s.at <= scale.end)
    .map((s) => `${round(scale.x(s.at))},${round(scale.y(s[key]))}`)
    .join(' ');
}
