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

/** Fewer (expected) pairs than this carrying a field in one class: too little to estimate it from,
 * so the field keeps its starting values in that class (e.g. identifiers that duplicates in the
 * store never share). */
const MIN_EVIDENCE = 5;

function normalise(counts: number[], fallback: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total < MIN_EVIDENCE) return [...fallback];
  return counts.map((c) => Math.min(1 - FLOOR, Math.max(FLOOR, c / total)));
}

/**
 * Estimates λ, m and u from pattern counts, starting from `start`. A field whose estimate says that
 * agreement is likelier among different people than among the same person (a sign that EM found
 * another latent split, e.g. "same family" rather than "same person") keeps its starting values.
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
    const mCounts = Object.fromEntries(FIELD_NAMES.map((f) => [f, FIELDS[f].map(() => 0)])) as Record<Field, number[]>;
    const uCounts = structuredClone(mCounts);
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
    const nextM = Object.fromEntries(FIELD_NAMES.map((f) => [f, normalise(mCounts[f], m[f])])) as Record<Field, number[]>;
    const nextU = Object.fromEntries(FIELD_NAMES.map((f) => [f, normalise(uCounts[f], u[f])])) as Record<Field, number[]>;
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
  for (const f of FIELD_NAMES) {
    if (m[f][0] < u[f][0]) {
      m[f] = [...start.m[f]];
      u[f] = [...start.u[f]];
    }
  }
  return { source: 'em', lambda, m, u, pairs: total, iterations, converged };
}
