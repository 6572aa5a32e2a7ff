// Unsupervised estimation of the Fellegi–Sunter parameters by Expectation–Maximisation over the
// comparison vectors of candidate pairs (Winkler, "Using the EM Algorithm for Weight Computation in
// the Fellegi–Sunter Model of Record Linkage", 1988), assuming fields independent given the class.
// Works on counts of distinct patterns, so its memory does not grow with the store.
import { FIELD_NAMES, FIELDS, patternFromKey, type ComparisonVector, type Field } from './compare';
import type { MatchModel } from './model';

export interface EmOptions {
  maxIterations?: number;
  /** Stop when no parameter moves more than this between iterations. */
  tolerance?: number;
}

const FLOOR = 1e-4;

/**
 * Pseudo-pairs of the prior added to each class in every M-step (a Dirichlet prior, so EM finds the
 * maximum a posteriori estimate). Without it a level never seen among the store's duplicates (a
 * changed phone number, a typo in a given name) gets m ≈ 0 and a weight that vetoes any match; with
 * it such a level keeps a plausible weight, and a field the duplicates never share (identifiers
 * across sites) simply stays at its prior.
 */
export const PRIOR_PSEUDO_PAIRS = 10;

function normalise(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => Math.min(1 - FLOOR, Math.max(FLOOR, c / total)));
}

/**
 * Estimates λ, m and u from pattern counts, starting from (and smoothed towards) `start`. If the
 * "match" class ends up agreeing less than the other on most fields, EM has found another latent
 * split (label switching): the estimate is refused and `start` returned.
 */
export function estimateByEm(patterns: Map<string, number>, start: MatchModel, options: EmOptions = {}): MatchModel & { converged: boolean } {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;
  const rows: Array<{ v: ComparisonVector; n: number }> = [...patterns].map(([k, n]) => ({ v: patternFromKey(k), n }));
  const total = rows.reduce((a, r) => a + r.n, 0);
  let lambda = start.lambda;
  let m = structuredClone(start.m);
  let u = structuredClone(start.u);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const mCounts = Object.fromEntries(FIELD_NAMES.map((f) => [f, start.m[f].map((p) => p * PRIOR_PSEUDO_PAIRS)])) as Record<Field, number[]>;
    const uCounts = Object.fromEntries(FIELD_NAMES.map((f) => [f, start.u[f].map((p) => p * PRIOR_PSEUDO_PAIRS)])) as Record<Field, number[]>;
    let matchMass = 0;
    for (const { v, n } of rows) {
      let pm = lambda;
      let pu = 1 - lambda;
      for (const f of FIELD_NAMES) {
        const l = v[f];
        if (l < 0) continue;
        pm *= m[f][l];
        pu *= u[f][l];
      }
      const g = pm / (pm + pu);
      matchMass += n * g;
      for (const f of FIELD_NAMES) {
        const l = v[f];
        if (l < 0) continue;
        mCounts[f][l] += n * g;
        uCounts[f][l] += n * (1 - g);
      }
    }
    const nextLambda = Math.min(0.5, Math.max(FLOOR, matchMass / total));
    const nextM = Object.fromEntries(FIELD_NAMES.map((f) => [f, normalise(mCounts[f])])) as Record<Field, number[]>;
    const nextU = Object.fromEntries(FIELD_NAMES.map((f) => [f, normalise(uCounts[f])])) as Record<Field, number[]>;
    let delta = Math.abs(nextLambda - lambda);
    for (const f of FIELD_NAMES) for (let i = 0; i < FIELDS[f].length; i++) delta = Math.max(delta, Math.abs(nextM[f][i] - m[f][i]), Math.abs(nextU[f][i] - u[f][i]));
    lambda = nextLambda;
    m = nextM;
    u = nextU;
    if (delta < tolerance) {
      converged = true;
      break;
    }
  }
  // Fields whose first level is full agreement (all but identifier, whose levels are kinds of
  // disagreement); blocking makes some agree often among non-matches too, so a majority decides.
  const agreeing = FIELD_NAMES.filter((f) => f !== 'identifier');
  const switched = agreeing.filter((f) => m[f][0] < u[f][0]).length > agreeing.length / 2;
  if (switched) return { ...structuredClone(start), source: 'prior', pairs: total, iterations, converged: false };
  return { source: 'em', lambda, m, u, pairs: total, iterations, converged };
}
