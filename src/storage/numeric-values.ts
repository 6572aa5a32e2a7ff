// NumericStats from values in memory, exactly as the SQLite statements define them (engine.ts):
// the MongoDB engine's fallback where the server cannot compute them (FerretDB 1.x). Two passes:
// the mean, then the central sums around it; percentiles from the sorted values.
import type { NumericStats } from './engine';

export function statsOfValues(values: number[], times: Array<number | undefined> | undefined, percentiles: number[], resources: number): NumericStats {
  const n = values.length;
  let sum = 0;
  let min: number | undefined;
  let max: number | undefined;
  for (const x of values) {
    sum += x;
    if (min === undefined || x < min) min = x;
    if (max === undefined || x > max) max = x;
  }
  const stats: NumericStats = { resources, count: n, sum, m2: 0, m3: 0, m4: 0, percentiles: [] };
  if (n) {
    const mean = sum / n;
    for (const x of values) {
      const d = x - mean;
      stats.m2 += d * d;
      stats.m3 += d * d * d;
      stats.m4 += d * d * d * d;
    }
    Object.assign(stats, { min, max, mean });
    const sorted = Float64Array.from(values).sort();
    stats.percentiles = percentiles.map((p) => {
      const h = (n - 1) * p;
      const lo = Math.floor(h);
      return lo + 1 < n && h > lo ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    });
  }
  if (times) {
    let nt = 0;
    let st = 0;
    let sx = 0;
    times.forEach((t, i) => {
      if (t === undefined) return;
      nt++;
      st += t;
      sx += values[i];
    });
    stats.regression = { n: nt };
    if (nt >= 2) {
      const mt = st / nt;
      const mx = sx / nt;
      let stt = 0;
      let stx = 0;
      times.forEach((t, i) => {
        if (t === undefined) return;
        stt += (t - mt) * (t - mt);
        stx += (t - mt) * (values[i] - mx);
      });
      if (stt > 0) {
        stats.regression.slope = stx / stt;
        stats.regression.intercept = mx - (stx / stt) * mt;
      }
    }
  }
  return stats;
}
