import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  CHART_BOX,
  type ChartBox,
  chartScale,
  polylinePoints,
  type Sample,
  SERIES,
  WINDOW_MS,
} from '../model/series.js';

/** The chart's box as wide as its container (in CSS pixels), so that text is never scaled. */
function useChartBox(): [ChartBox, RefObject<HTMLElement | null>] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(CHART_BOX.width);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const next = Math.round(entry?.contentRect.width ?? 0);
      if (next >= 200) setWidth(next);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [{ ...CHART_BOX, width }, ref];
}

/** A line chart of the queue's waiting, active, delayed and failed jobs over the last samples. */
export function QueueChart({ samples }: { samples: readonly Sample[] }) {
  const [box, figure] = useChartBox();
  const scale = chartScale(samples, box);
  const bottom = box.height - box.bottom;
  const right = box.width - box.right;
  const minutes = WINDOW_MS / 60_000;
  const label = `Queue jobs over the last ${minutes} minutes (${SERIES.join(', ')}), scale 0 to ${scale.max}`;
  return (
    <figure class="queue-chart" ref={figure}>
      <svg
        class="chart"
        role="img"
        aria-label={label}
        width={box.width}
        height={box.height}
        viewBox={`0 0 ${box.width} ${box.height}`}
      >
        <title>{label}</title>
        <line class="axis" x1={box.left} y1={bottom} x2={right} y2={bottom} />
        <line class="grid" x1={box.left} y1={box.top} x2={right} y2={box.top} />
        <line
          class="grid"
          x1={box.left}
          y1={scale.y(scale.max / 2)}
          x2={right}
          y2={scale.y(scale.max / 2)}
        />
        <text class="tick" x={box.left - 6} y={box.top + 4} text-anchor="end">
          {scale.max}
        </text>
        <text class="tick" x={box.left - 6} y={bottom + 4} text-anchor="end">
          0
        </text>
        <text class="tick" x={box.left} y={box.height - 6}>
          −{minutes} min
        </text>
        <text class="tick" x={right} y={box.height - 6} text-anchor="end">
          now
        </text>
        {samples.length > 0 &&
          SERIES.map((key) => (
            <polyline
              key={key}
              class={`series-${key}`}
              points={polylinePoints(samples, key, scale)}
            />
          ))}
      </svg>
      <figcaption class="legend">
        {SERIES.map((key) => (
          <span key={key}>
            <span class={`swatch series-${key}`} aria-hidden="true" /> {key}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
