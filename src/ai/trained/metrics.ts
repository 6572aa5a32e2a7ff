// Measures of a probabilistic classifier on held-out cases: AUC (the probability that a random
// positive scores above a random negative, ties counting half — the Mann–Whitney statistic), its
// percentile bootstrap 95 % interval, the Brier score, and a 10-bin calibration table.

export interface CalibrationBin {
  /** Predicted-probability range of the bin: [low, high) (the last bin includes 1). */
  low: number;
  high: number;
  cases: number;
  meanPredicted: number;
  observedRate: number;
}

/** AUC by ranks (midranks for ties); NaN when either class is absent. */
export function auc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t][1]] = midrank;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((y, i) => {
    if (y === 1) {
      positives++;
      rankSum += ranks[i];
    }
  });
  const negatives = labels.length - positives;
  if (!positives || !negatives) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** A small seeded generator (mulberry32), so the same data gives the same interval. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** AUC of cases weighted by how often each was drawn, over an order sorted once by score:
 * each positive counts the negatives below it, and half of those tied with it. */
export function weightedAuc(order: number[], scores: number[], labels: number[], weights: Float64Array): number {
  let negativesBelow = 0;
  let pairs = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    let tiedPositives = 0;
    let tiedNegatives = 0;
    for (; j < order.length && scores[order[j]] === scores[order[i]]; j++) {
      const k = order[j];
      if (labels[k] === 1) tiedPositives += weights[k];
      else tiedNegatives += weights[k];
    }
    pairs += tiedPositives * (negativesBelow + tiedNegatives / 2);
    positives += tiedPositives;
    negativesBelow += tiedNegatives;
    i = j;
  }
  return positives && negativesBelow ? pairs / (positives * negativesBelow) : NaN;
}

/** Percentile bootstrap interval of the AUC (resampling cases with replacement; resamples with
 * one class only are drawn again). The cases are sorted once; a resample is a vector of counts. */
export function bootstrapAuc(scores: number[], labels: number[], replicates = 1000, seed = 1): { low: number; high: number } {
  const random = seededRandom(seed);
  const n = scores.length;
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const values: number[] = [];
  const weights = new Float64Array(n);
  for (let attempts = 0; values.length < replicates && attempts < replicates * 10; attempts++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(random() * n)]++;
    const a = weightedAuc(order, scores, labels, weights);
    if (!Number.isNaN(a)) values.push(a);
  }
  if (!values.length) return { low: NaN, high: NaN };
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return { low: at(0.025), high: at(0.975) };
}

/** Mean squared difference between predicted probability and outcome (0 is perfect). */
export function brier(probabilities: number[], labels: number[]): number {
  return probabilities.reduce((sum, p, i) => sum + (p - labels[i]) ** 2, 0) / probabilities.length;
}

/** Ten equal-width bins of predicted probability; empty bins are left out. */
export function calibrationTable(probabilities: number[], labels: number[], bins = 10): CalibrationBin[] {
  const sums = Array.from({ length: bins }, () => ({ cases: 0, predicted: 0, observed: 0 }));
  probabilities.forEach((p, i) => {
    const b = sums[Math.min(bins - 1, Math.floor(p * bins))];
    b.cases++;
    b.predicted += p;
    b.observed += labels[i];
  });
  return sums.flatMap((b, i) => (b.cases ? [{ low: i / bins, high: (i + 1) / bins, cases: b.cases, meanPredicted: b.predicted / b.cases, observedRate: b.observed / b.cases }] : []));
}
