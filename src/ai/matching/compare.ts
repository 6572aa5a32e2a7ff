// Field comparators: two MatchFeatures → one agreement level per field (the comparison vector of
// Fellegi–Sunter), plus the identifier verdict. Levels are ordered from strongest agreement to
// disagreement; a field absent on either side gets no level and so no weight.
import jaroWinkler from 'talisman/metrics/jaro-winkler';
import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein';
import type { MatchFeatures } from './features';
import { areNicknames } from './nicknames';
import { houseNumber } from './normalise';

/** The compared fields and their levels, in order. The model (model.ts) holds m and u per level. */
export const FIELDS = {
  family: ['exact', 'phonetic-or-close', 'similar', 'different'],
  given: ['exact', 'nickname', 'phonetic-or-close', 'similar', 'different'],
  birthDate: ['exact', 'day-month-swapped', 'one-part-differs', 'different'],
  gender: ['same', 'different'],
  address: ['exact', 'similar', 'different'],
  postalCode: ['exact', 'same-area', 'different'],
  phone: ['same', 'different'],
  email: ['same', 'different'],
  identifier: ['near', 'conflicting-record-number', 'conflicting-person-identifier'],
} as const;

export type Field = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as Field[];

/** Level index per field (position in FIELDS[field]); -1 when the field is missing on a side. */
export type ComparisonVector = Record<Field, number>;

export interface Comparison {
  vector: ComparisonVector;
  /** The two records carry one identifier (same system, same value): the same person. */
  sameIdentifier: boolean;
}

/** Jaro–Winkler at or above this counts as "close" (a keying slip in a name of 5+ letters). */
export const CLOSE_SIMILARITY = 0.92;
/** …and at or above this as "similar". */
export const SIMILAR_SIMILARITY = 0.8;

function bestSimilarity(a: string[], b: string[]): number {
  let best = 0;
  for (const x of a) for (const y of b) best = Math.max(best, x === y ? 1 : jaroWinkler(x, y));
  return best;
}

function shares(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.includes(x));
}

function compareFamily(a: MatchFeatures, b: MatchFeatures): number {
  if (!a.families.length || !b.families.length) return -1;
  if (shares(a.families, b.families)) return 0;
  const sim = bestSimilarity(a.families, b.families);
  if (sim >= CLOSE_SIMILARITY || shares(a.familyCodes, b.familyCodes)) return 1;
  return sim >= SIMILAR_SIMILARITY ? 2 : 3;
}

function compareGiven(a: MatchFeatures, b: MatchFeatures): number {
  if (!a.givens.length || !b.givens.length) return -1;
  const [fa, fb] = [a.givens[0], b.givens[0]];
  // The first given names decide; a middle name written as the first (or dropped) still agrees.
  if (fa === fb || b.givens.includes(fa) || a.givens.includes(fb)) return 0;
  if (areNicknames(fa, fb)) return 1;
  const sim = jaroWinkler(fa, fb);
  if (sim >= CLOSE_SIMILARITY || shares(a.givenCodes, b.givenCodes)) return 2;
  return sim >= SIMILAR_SIMILARITY ? 3 : 4;
}

function compareBirthDate(a: MatchFeatures, b: MatchFeatures): number {
  const x = a.birth;
  const y = b.birth;
  if (!x || !y) return -1;
  if (x.month === undefined || y.month === undefined || x.day === undefined || y.day === undefined) {
    // Partial dates: only the parts both have can agree; never "exact".
    if (x.year !== y.year) return 3;
    return x.month !== undefined && y.month !== undefined && x.month !== y.month ? 3 : 2;
  }
  if (x.year === y.year && x.month === y.month && x.day === y.day) return 0;
  if (x.year === y.year && x.month === y.day && x.day === y.month) return 1;
  const same = Number(x.year === y.year) + Number(x.month === y.month) + Number(x.day === y.day);
  if (same === 2) return 2;
  return 3;
}

function compareAddress(a: MatchFeatures, b: MatchFeatures): number {
  if (!a.addressLines.length || !b.addressLines.length) return -1;
  if (shares(a.addressLines, b.addressLines)) return 0;
  // Similar text at another house number is another house: only the same number can be "similar".
  for (const x of a.addressLines)
    for (const y of b.addressLines) if (houseNumber(x) === houseNumber(y) && jaroWinkler(x, y) >= 0.9) return 1;
  return 2;
}

function comparePostalCode(a: MatchFeatures, b: MatchFeatures): number {
  if (!a.postalCodes.length || !b.postalCodes.length) return -1;
  if (shares(a.postalCodes, b.postalCodes)) return 0;
  return a.postalCodes.some((x) => b.postalCodes.some((y) => x.length >= 3 && x.slice(0, 3) === y.slice(0, 3))) ? 1 : 2;
}

function compareSet(a: string[], b: string[]): number {
  if (!a.length || !b.length) return -1;
  return shares(a, b) ? 0 : 1;
}

/** Identifiers of the systems both records carry: identical (certain), one keying slip apart
 * ("near": same system, Damerau–Levenshtein distance 1 on values of 6+ characters), or different. */
function compareIdentifiers(a: MatchFeatures, b: MatchFeatures): { level: number; same: boolean } {
  let near = false;
  let recordConflict = false;
  let personConflict = false;
  const systems = new Set(a.identifiers.map((i) => i.system).filter((s) => b.identifiers.some((j) => j.system === s)));
  for (const system of systems) {
    const xs = a.identifiers.filter((i) => i.system === system);
    const ys = b.identifiers.filter((i) => i.system === system);
    if (xs.some((x) => ys.some((y) => x.value === y.value))) return { level: -1, same: true };
    if (xs.some((x) => ys.some((y) => Math.min(x.value.length, y.value.length) >= 6 && damerauLevenshtein(x.value, y.value) === 1))) near = true;
    else if (xs.some((x) => x.person) || ys.some((y) => y.person)) personConflict = true;
    else recordConflict = true;
  }
  if (near) return { level: 0, same: false };
  if (personConflict) return { level: 2, same: false };
  if (recordConflict) return { level: 1, same: false };
  return { level: -1, same: false };
}

export function compare(a: MatchFeatures, b: MatchFeatures): Comparison {
  const ids = compareIdentifiers(a, b);
  const genderKnown = (g?: string) => g === 'male' || g === 'female';
  return {
    sameIdentifier: ids.same,
    vector: {
      family: compareFamily(a, b),
      given: compareGiven(a, b),
      birthDate: compareBirthDate(a, b),
      gender: genderKnown(a.gender) && genderKnown(b.gender) ? (a.gender === b.gender ? 0 : 1) : -1,
      address: compareAddress(a, b),
      postalCode: comparePostalCode(a, b),
      phone: compareSet(a.phones, b.phones),
      email: compareSet(a.emails, b.emails),
      identifier: ids.level,
    },
  };
}

/** A comparison vector as a compact key (for counting patterns in EM). */
export function patternKey(v: ComparisonVector): string {
  return FIELD_NAMES.map((f) => v[f]).join(',');
}

export function patternFromKey(key: string): ComparisonVector {
  const parts = key.split(',').map(Number);
  return Object.fromEntries(FIELD_NAMES.map((f, i) => [f, parts[i]])) as ComparisonVector;
}
