// Time-series and bar charts on uPlot (canvas; small and fast with thousands of points). Each chart
// is a <figure> with a caption and its data as a table behind a disclosure, so the values are
// reachable by keyboard and screen readers, not only by hovering.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  /** [epoch seconds, value] pairs. */
  points: Array<[number, number]>;
  color: string;
  /** A dash pattern, so lines differ by more than their colour. */
  dash?: number[];
}

export interface TimeChartProps {
  title: string;
  unit: string;
  series: Series[];
  /** The reference range, drawn as a shaded band. */
  range?: { low?: number; high?: number };
  /** Bars over these categories instead of lines over time; x values index them. */
  categories?: string[];
  /** Over categories: lines instead of bars (e.g. one line per stratum over months). */
  lines?: boolean;
  /** The top of the y axis at least (e.g. 100 for a score in %). */
  yMax?: number;
  /** How x values are written in the legend and table; dates by default. */
  xLabel?: (x: number) => string;
  height?: number;
  /** Time charts: the x range in epoch seconds, shared by a page's charts so they line up. */
  xRange?: [number, number];
  /** The x axis' name in the legend and the table. */
  xTitle?: string;
  /** Said after the unit in the caption. */
  note?: string;
}

const dateOf = (x: number) => new Date(x * 1000).toISOString().slice(0, 10);

/** Joins series on their x values (uPlot wants one x array; gaps are null). */
function align(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) column[index.get(x)!] = y;
    return column;
  });
  return [xs, ...ys];
}

export function TimeChart({ title, unit, series, range, categories, lines = false, yMax, xLabel: xLabelGiven, height = 220, note, xTitle = 'Date', xRange }: TimeChartProps) {
  const byCategory = categories !== undefined;
  const bars = byCategory && !lines;
  const xLabel = xLabelGiven ?? (byCategory ? (x: number) => categories[x] ?? '' : dateOf);
  const box = useRef<HTMLDivElement>(null);
  const figure = useRef<HTMLElement>(null);
  const data = align(series);
  const points = series.reduce((n, s) => n + s.points.length, 0);
  useEffect(() => {
    const el = box.current!;
    if (points === 0) return;
    const fmt = (v: number | null) => (v == null ? '–' : `${Number(v.toFixed(2))} ${unit}`);
    const opts: uPlot.Options = {
      width: Math.max(260, el.clientWidth),
      height,
      // Categories sit at 0…n-1 with half a step of room on each side, present or not.
      scales: { x: byCategory ? { time: false, range: [-0.5, categories.length - 0.5] } : { time: true, ...(xRange ? { range: xRange } : {}) } },
      axes: [
        // Every category has a tick; when their names would overlap only every n-th is written.
        byCategory
          ? {
              splits: () => categories.map((_c, i) => i),
              values: (u, splits) => {
                const every = Math.max(1, Math.ceil((categories.length * 8 * Math.max(...categories.map((c) => c.length), 1)) / Math.max(1, u.width - 80)));
                return splits.map((i, n) => (n % every === 0 ? (categories[i] ?? '') : ''));
              },
            }
          : {},
        { label: unit, size: 60 },
      ],
      series: [
        { label: xTitle, value: (_u, v) => (v == null ? '–' : xLabel(v)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? `${s.color}cc` : undefined,
          width: bars ? 1 : 2,
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: true,
          points: { show: !bars, size: 6 },
          // Side by side: with two series the first leans left of its x and the second right.
          paths: bars ? uPlot.paths.bars!({ size: [series.length > 1 ? 0.35 : 0.6, 60], align: series.length > 1 ? (i === 0 ? -1 : 1) : 0 }) : undefined,
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
      ],
      hooks: {
        // The reference range under the data: shaded between low and high.
        drawClear: [
          (u: uPlot) => {
            if (!range || (range.low === undefined && range.high === undefined)) return;
            const ctx = u.ctx;
            const top = range.high === undefined ? u.bbox.top : u.valToPos(range.high, 'y', true);
            const bottom = range.low === undefined ? u.bbox.top + u.bbox.height : u.valToPos(range.low, 'y', true);
            ctx.save();
            ctx.fillStyle = 'rgba(46, 125, 50, 0.12)';
            ctx.fillRect(u.bbox.left, Math.max(u.bbox.top, top), u.bbox.width, Math.min(u.bbox.top + u.bbox.height, bottom) - Math.max(u.bbox.top, top));
            ctx.restore();
          },
        ],
        draw: [() => figure.current?.setAttribute('data-drawn', String(points))],
      },
    };
    if (byCategory) {
      // Bars (and scores over categories) start at zero, or their heights mislead.
      opts.scales!.y = { range: (_u, _min, max) => [0, Math.max(yMax ?? 0, max * 1.15) || 1] };
    } else if (range) {
      // Keep the range in view even when every value is inside it.
      const values = data.slice(1).flat().filter((v): v is number => v != null);
      const lo = Math.min(...values, range.low ?? Infinity);
      const hi = Math.max(...values, range.high ?? -Infinity);
      const pad = (hi - lo) * 0.1 || 1;
      opts.scales!.y = { range: [lo - pad, hi + pad] };
    }
    const plot = new uPlot(opts, data, el);
    // uPlot's legend is a table without a header row; it repeats what the caption says.
    plot.root.querySelector('.u-legend')?.setAttribute('role', 'presentation');
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(260, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify(data), range?.low, range?.high, unit, categories?.join(), lines, xRange?.join()]);
  const rangeText = range && (range.low !== undefined || range.high !== undefined) ? ` · reference range ${range.low ?? '…'}–${range.high ?? '…'} ${unit}` : '';
  return (
    <figure class="chart" ref={figure} data-points={points}>
      <figcaption>
        <strong>{title}</strong> <span class="muted">({unit}{rangeText}{note ? ` · ${note}` : ''})</span>
      </figcaption>
      {points === 0 ? <p class="muted">No values recorded.</p> : <div ref={box} class="plot" />}
      {points > 0 && (
        <details>
          <summary>Values as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{xTitle}</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label} ({unit})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(data[0] as number[]).map((x, i) => (
                <tr key={x}>
                  <td>{xLabel(x)}</td>
                  {series.map((s, j) => (
                    <td key={s.label}>{data[j + 1][i] == null ? '–' : Number((data[j + 1][i] as number).toFixed(2))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
