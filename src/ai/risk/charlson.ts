// Charlson Comorbidity Index: Quan 2005's ICD-10 coding (charlson-codes.ts), Charlson 1987's weights,
// the age points of the combined age-comorbidity index (Charlson ME, Szatrowski TP, Peterson J, Gold
// J. J Clin Epidemiol 1994;47(11):1245-51: one point per decade from 50), and the 10-year survival
// estimate 0.983^(e^(0.9 x index)) of Charlson 1987 as the probability (of death within 10 years).
import type { Condition } from '@medplum/fhirtypes';
import { CHARLSON, charlsonCategoryOfIcd10, SUPERSEDED_BY, type CharlsonCategory } from './charlson-codes';
import { diagnosedBy, icd10CodesOf } from './condition-codes';
import { ageAt, InsufficientData, ref, type PatientRecord, type ScoreComponent, type ScoreResult } from './score';

export const CHARLSON_MODEL = {
  code: 'charlson',
  display: 'Charlson Comorbidity Index (age-combined)',
  outcome: 'Death within 10 years',
  source:
    'Charlson ME, Pompei P, Ales KL, MacKenzie CR. A new method of classifying prognostic comorbidity in longitudinal studies: development and validation. J Chronic Dis 1987;40(5):373-83; ' +
    'ICD-10 coding: Quan H, Sundararajan V, Halfon P, et al. Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data. Med Care 2005;43(11):1130-9; ' +
    'age points: Charlson ME, Szatrowski TP, Peterson J, Gold J. Validation of a combined comorbidity index. J Clin Epidemiol 1994;47(11):1245-51.',
};

export interface CharlsonComorbidities {
  /** The comorbidity points without age (what LACE's C uses). */
  points: number;
  components: ScoreComponent[];
}

/** The comorbidity part: each category once, its milder form dropped when the severe form is present. */
export function charlsonComorbidities(conditions: readonly Condition[], asOf: Date): CharlsonComorbidities {
  const found = new Map<CharlsonCategory, { codes: Set<string>; basis: Set<string> }>();
  for (const condition of conditions) {
    if (!diagnosedBy(condition, asOf)) continue;
    for (const code of icd10CodesOf(condition)) {
      const category = charlsonCategoryOfIcd10(code);
      if (!category) continue;
      const entry = found.get(category) ?? { codes: new Set(), basis: new Set() };
      entry.codes.add(code);
      entry.basis.add(ref(condition as { resourceType: string; id?: string }));
      found.set(category, entry);
    }
  }
  const components: ScoreComponent[] = [];
  for (const [category, entry] of found) {
    const superseding = SUPERSEDED_BY[category];
    if (superseding && found.has(superseding)) continue;
    const def = CHARLSON[category];
    components.push({ name: def.label, points: def.weight, finding: `${def.label} (ICD-10 ${[...entry.codes].join(', ')})`, basis: [...entry.basis] });
  }
  components.sort((a, b) => b.points - a.points || a.name.localeCompare(b.name));
  return { points: components.reduce((s, c) => s + c.points, 0), components };
}

/** Charlson 1994: 50-59 one point, 60-69 two, 70-79 three, 80 and over four. */
export function charlsonAgePoints(age: number): number {
  return age < 50 ? 0 : Math.min(4, Math.floor((age - 40) / 10));
}

/** Charlson 1987: estimated 10-year survival = 0.983^(e^(0.9 x index)). */
export function charlsonTenYearSurvival(index: number): number {
  return 0.983 ** Math.exp(0.9 * index);
}

export function charlson(record: PatientRecord): ScoreResult {
  const conditions = record.conditions.filter((c) => diagnosedBy(c, record.asOf));
  const missing: string[] = [];
  if (!record.birthDate) missing.push('birth date (age points)');
  if (!conditions.length) {
    // An empty problem list is not "no comorbidity": nothing says the record is complete.
    if (!record.birthDate) throw new InsufficientData('charlson', ['Condition recorded', 'Patient.birthDate']);
    missing.push('any recorded Condition (an empty problem list cannot show the absence of comorbidity)');
  }
  const comorbidity = charlsonComorbidities(conditions, record.asOf);
  const components = [...comorbidity.components];
  if (record.birthDate) {
    const age = ageAt(record.birthDate, record.asOf);
    components.push({ name: 'Age', points: charlsonAgePoints(age), finding: `age ${age} years`, basis: [`Patient/${record.patientId}`] });
  }
  const points = components.reduce((s, c) => s + c.points, 0);
  const survival = charlsonTenYearSurvival(points);
  // Charlson 1987 grouped the comorbidity index 0, 1-2, 3-4, >=5 (1-year mortality 12 %, 26 %, 52 %, 85 %).
  const qualitative = comorbidity.points === 0 ? 'low' : comorbidity.points <= 2 ? 'moderate' : 'high';
  return {
    model: CHARLSON_MODEL,
    points,
    components,
    missing,
    inputs: 2,
    qualitative,
    probability: round(1 - survival, 4),
    remarks: [`comorbidity points ${comorbidity.points}; estimated 10-year survival 0.983^(e^(0.9 x ${points})) = ${(survival * 100).toFixed(1)} %`],
  };
}

export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
