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
}

export interface TimeChartProps {
  title: string;
  unit: string;
  series: Series[];
  /** The reference range, drawn as a shaded band. */
  range?: { low?: number; high?: number };
  /** Bars instead of lines (dashboards: one value per period). */
  bars?: boolean;
  /** How x values are written in the legend and table; dates by default. */
  xLabel?: (x: number) => string;
  height?: number;
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

export function TimeChart({ title, unit, series, range, bars, xLabel = dateOf, height = 220, note }: TimeChartProps) {
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
      scales: { x: { time: !bars, distr: bars ? 2 : 1 } },
      axes: [
        bars ? { values: (_u, splits) => splits.map((i) => (data[0][i] === undefined ? '' : xLabel(data[0][i] as number))) } : {},
        { label: unit, size: 60 },
      ],
      series: [
        { label: 'Date', value: (_u, v) => (v == null ? '–' : xLabel(v)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? `${s.color}cc` : undefined,
          width: bars ? 1 : 2,
          spanGaps: true,
          points: { show: true, size: 6 },
          paths: bars ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined,
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
    if (range && !bars) {
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
  }, [JSON.stringify(data), range?.low, range?.high, unit, bars]);
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
                <th scope="col">{bars ? 'Period' : 'Date'}</th>
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
