// The Fellegi–Sunter model of the linker: for every field level, m = P(level | same person) and
// u = P(level | different people) among candidate pairs (pairs sharing a blocking key), and λ, the
// share of candidate pairs that are the same person. A pair's score is the posterior probability
// that it is the same person, P = λ·Πm / (λ·Πm + (1−λ)·Πu) over the fields both records carry
// (Fellegi & Sunter, "A Theory for Record Linkage", JASA 64:1183–1210, 1969); grades follow from it.
import { FIELD_NAMES, FIELDS, type Comparison, type Field } from './compare';

export interface MatchModel {
  lambda: number;
  m: Record<Field, number[]>;
  u: Record<Field, number[]>;
  /** How the parameters were obtained: `prior` (documented defaults) or `em` (estimated). */
  source: 'prior' | 'em';
  /** EM only: candidate pairs and patients it was estimated from, iterations, when. */
  pairs?: number;
  patients?: number;
  iterations?: number;
  estimatedAt?: string;
}

export type MatchGrade = 'certain' | 'probable' | 'possible' | 'certainly-not';

/**
 * Grade thresholds on the posterior probability (docs/ai.md "Thresholds"): `probable` is where a
 * data steward should merge after a glance, `possible` where a human must look. `certain` also
 * holds for any pair sharing an identifier of one system, whatever the other fields say.
 */
export const THRESHOLDS = { certain: 0.999, probable: 0.95, possible: 0.5 } as const;

/** Probabilities are kept away from 0 and 1, so one field never decides alone (except identifiers). */
const FLOOR = 1e-4;

/**
 * Defaults when the store is too small to estimate from (and EM's starting point): judgement of the
 * usual registration error rates (m) and of how often unrelated candidate pairs agree by chance (u).
 */
export const PRIOR_MODEL: MatchModel = {
  source: 'prior',
  lambda: 0.05,
  m: {
    family: [0.85, 0.1, 0.03, 0.02],
    given: [0.8, 0.07, 0.07, 0.03, 0.03],
    birthDate: [0.9, 0.03, 0.05, 0.02],
    gender: [0.98, 0.02],
    address: [0.85, 0.05, 0.1],
    postalCode: [0.9, 0.05, 0.05],
    phone: [0.8, 0.2],
    email: [0.8, 0.2],
    identifier: [0.1, 0.8, 0.1],
  },
  u: {
    family: [0.3, 0.1, 0.1, 0.5],
    given: [0.1, 0.01, 0.04, 0.1, 0.75],
    birthDate: [0.02, 0.001, 0.03, 0.949],
    gender: [0.5, 0.5],
    address: [0.01, 0.005, 0.985],
    postalCode: [0.1, 0.4, 0.5],
    phone: [0.01, 0.99],
    email: [0.005, 0.995],
    identifier: [0.001, 0.5, 0.499],
  },
};

export interface PairScore {
  /** Posterior probability of one person, 0–1. */
  probability: number;
  /** Total match weight log2(Πm/Πu): the Fellegi–Sunter score before the prior. */
  weight: number;
  grade: MatchGrade;
}

function clamp(p: number): number {
  return Math.min(1 - FLOOR, Math.max(FLOOR, p));
}

export function gradeOf(probability: number): MatchGrade {
  if (probability >= THRESHOLDS.certain) return 'certain';
  if (probability >= THRESHOLDS.probable) return 'probable';
  if (probability >= THRESHOLDS.possible) return 'possible';
  return 'certainly-not';
}

export function scorePair(model: MatchModel, comparison: Comparison): PairScore {
  let weight = 0;
  for (const f of FIELD_NAMES) {
    const level = comparison.vector[f];
    if (level < 0) continue;
    let w = Math.log2(clamp(model.m[f][level]) / clamp(model.u[f][level]));
    // Conflicting identifiers of one system are never evidence FOR a match, whatever the counts say
    // (estimated among pairs that share a system, a record-number conflict can look "match-like"
    // only because unrelated pairs mostly conflict on national ids instead).
    if (f === 'identifier' && level > 0) w = Math.min(0, w);
    weight += w;
  }
  if (comparison.sameIdentifier) return { probability: 1, weight, grade: 'certain' };
  const priorOdds = model.lambda / (1 - model.lambda);
  const odds = priorOdds * 2 ** weight;
  const probability = odds === Infinity ? 1 : odds / (1 + odds);
  return { probability, weight, grade: gradeOf(probability) };
}

/** Level counts sum to 1 for each field (a check for models read back from the database). */
export function isValidModel(value: unknown): value is MatchModel {
  const model = value as MatchModel;
  if (!model || typeof model !== 'object' || !(model.lambda > 0 && model.lambda < 1)) return false;
  return FIELD_NAMES.every((f) =>
    (['m', 'u'] as const).every((k) => Array.isArray(model[k]?.[f]) && model[k][f].length === FIELDS[f].length && model[k][f].every((p) => p >= 0 && p <= 1)),
  );
}
