// Linkage quality against a truth set of duplicate pairs: the confusion counts over all unordered
// pairs of the store, and precision, recall and F1 of the pairs the linker reported.

export interface LinkageQuality {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** Every other unordered pair of the store's patients: n(n−1)/2 − TP − FP − FN. */
  trueNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/** `truth` and `found` are pairs of patient ids; `patients` is how many patients the store holds. */
export function linkageQuality(truth: Iterable<[string, string]>, found: Iterable<[string, string]>, patients: number): LinkageQuality {
  const expected = new Set([...truth].map(([a, b]) => pairKey(a, b)));
  const reported = new Set([...found].map(([a, b]) => pairKey(a, b)));
  let tp = 0;
  for (const k of reported) if (expected.has(k)) tp++;
  const fp = reported.size - tp;
  const fn = expected.size - tp;
  const precision = reported.size ? tp / reported.size : 1;
  const recall = expected.size ? tp / expected.size : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: (patients * (patients - 1)) / 2 - tp - fp - fn, precision, recall, f1 };
}
