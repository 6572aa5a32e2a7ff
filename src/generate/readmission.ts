/**
 * Hospital admissions from the emergency department, and 30-day readmissions after discharge.
 *
 * Admission: an emergency visit for an acute problem ends in an admission with a problem-specific
 * chance that rises with age (ADMISSION_CHANCE); a stay lasts a log-normal number of days (median
 * 3, as in general medical wards). Readmission: after a stay the patient was discharged home from,
 * another admission within 30 days follows a logistic model of the LACE components (van Walraven
 * 2010) and of the HOSPITAL score's prior admissions (Donzé 2013), plus the index condition:
 *   readmission logit = base + v + los·ln(1 + stay days) + comorbidity·(Charlson points of HF, COPD
 *                       or asthma, diabetes, CKD) + emergency·min(ED visits in the 6 months before, 4)
 *                       + admissions·min(admissions in the 12 months before, 3)
 *                       + cardioPulmonary·[heart failure or COPD exacerbation] + older·[age ≥ 75]
 * with the coefficients of READMISSION_EFFECTS and v a patient's own frailty (normal, sd
 * READMISSION_EFFECTS.frailtySd) that the record does not show. Sources in docs/ai.md.
 */
import type { ConditionState } from './conditions';
import type { PatientContext } from './context';
import type { Visit } from './encounters';
import type { Random } from './random';
import { ageAt, DAY, HOUR } from './time';
import type { VisitPlan } from './visits';
import { lookupTable } from '../lookup-table';

export const READMISSION_EFFECTS = {
  base: -3.1,
  frailtySd: 0.6,
  los: 0.35,
  comorbidity: 0.3,
  emergency: 0.3,
  admissions: 0.45,
  cardioPulmonary: 0.5,
  older: 0.3,
};

/** Chance that an emergency visit for this acute problem ends in an admission (before the age factor). */
export const ADMISSION_CHANCE: Record<string, number> = { pneumonia: 0.6, chestPain: 0.35, uti: 0.25, gastroenteritis: 0.15, bronchitis: 0.15 };

export function admissionChance(problem: string, age: number): number {
  const factor = age >= 75 ? 1.6 : age >= 65 ? 1.3 : age < 18 ? 0.5 : 1;
  return Math.min(0.9, (ADMISSION_CHANCE[problem] ?? 0.03) * factor);
}

/** Hours of a stay: log-normal days, median 3, at most 30 days. */
export function stayHours(r: Random): number {
  return Math.min(30, Math.max(0.5, Math.exp(r.normal(Math.log(3), 0.6)))) * 24;
}

/** Charlson 1987 weights of the chronic conditions the generator knows that count in the index. */
const CHARLSON_WEIGHT: Record<string, number> = lookupTable({ heartFailure: 1, copd: 1, asthma: 1, diabetes: 1, ckd: 2 });

export function comorbidityPoints(chronic: readonly ConditionState[], at: number): number {
  const keys = new Set(chronic.filter((c) => c.onset <= at && (c.abatement === undefined || c.abatement > at)).map((c) => c.definition.key));
  // COPD and asthma are one Charlson category (chronic pulmonary disease).
  if (keys.has('copd')) keys.delete('asthma');
  return [...keys].reduce((s, k) => s + (CHARLSON_WEIGHT[k] ?? 0), 0);
}

/**
 * After an inpatient `stay` (discharged alive), the readmission it leads to, if any: an admission
 * through the emergency department 1–30 days after discharge, for the same problem.
 */
export function readmissionAfter(ctx: PatientContext, stay: Visit, plan: VisitPlan, earlier: readonly Visit[], chronic: readonly ConditionState[], frailty: number, r: Random): VisitPlan | undefined {
  const e = READMISSION_EFFECTS;
  const days = (stay.end - stay.start) / DAY;
  const ed = earlier.filter((v) => v.kind === 'emergency' && v.start < stay.start - HOUR && v.start >= stay.start - 182.5 * DAY).length;
  const admissions = earlier.filter((v) => v !== stay && v.kind === 'inpatient' && v.start < stay.start && v.start >= stay.start - 365 * DAY).length;
  const cardioPulmonary = plan.focus.includes('heartFailure') || plan.focus.includes('copd');
  const logit = e.base + frailty + e.los * Math.log1p(days) + e.comorbidity * comorbidityPoints(chronic, stay.end) + e.emergency * Math.min(ed, 4) +
    e.admissions * Math.min(admissions, 3) + (cardioPulmonary ? e.cardioPulmonary : 0) + (ageAt(ctx.birth, stay.start) >= 75 ? e.older : 0);
  if (!r.chance(1 / (1 + Math.exp(-logit)))) return undefined;
  // Readmissions cluster early after discharge.
  const after = 1 + Math.floor(29 * r.next() ** 1.5);
  return { at: stay.end + after * DAY + r.uniform(0, 12) * HOUR, kind: 'inpatient', clinician: plan.clinician, focus: plan.focus, conditions: plan.conditions, hours: stayHours(r) };
}
