// Population strata: patient gender and age band, as chain predicates on Observation.subject
// (`subject:Patient.gender`, `subject:Patient.birthdate`), so each stratum is one more query in
// the database. Age is in whole years on `today` (UTC): age ≥ L ⇔ born on or before today − L
// years; age < U ⇔ born after today − U years.
import type { Predicate } from '../search/plan';

export const GENDERS = ['male', 'female', 'other', 'unknown'];
export const AGE_BANDS: Array<{ label: string; from: number; to?: number }> = [
  { label: '0-17', from: 0, to: 18 },
  { label: '18-39', from: 18, to: 40 },
  { label: '40-64', from: 40, to: 65 },
  { label: '65+', from: 65 },
];

const DAY_MS = 86_400_000;

/** The UTC day `years` before `today` (a day range [lo, lo + 1 day)). */
function yearsBefore(today: Date, years: number): number {
  return Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate());
}

/** The patient's age is within the band on `today`, as predicates on Patient.birthdate. */
export function agePredicates(band: { from: number; to?: number }, today: Date): Predicate[] {
  const latest = yearsBefore(today, band.from);
  const where: Predicate[] = [{ kind: 'range', valueKind: 'date', param: 'birthdate', prefix: 'le', low: latest, high: latest + DAY_MS }];
  if (band.to !== undefined) {
    const earliest = yearsBefore(today, band.to);
    where.push({ kind: 'range', valueKind: 'date', param: 'birthdate', prefix: 'gt', low: earliest, high: earliest + DAY_MS });
  }
  return where;
}

export function stratumPredicate(gender: string, band: { from: number; to?: number }, today: Date): Predicate {
  const where: Predicate[] = [{ kind: 'token', param: 'gender', code: gender }, ...agePredicates(band, today)];
  return { kind: 'chain', param: 'subject', targetTypes: ['Patient'], where };
}
