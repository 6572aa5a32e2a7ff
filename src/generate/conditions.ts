/**
 * Chronic and acute problems. Each chronic condition has an age- and sex-specific prevalence (rough
 * US adult figures: hypertension ~10 % at 20–39 rising to ~70 % at 75+, type 2 diabetes ~3 % → ~22 %,
 * …) multiplied by risk factors that already exist (obesity raises diabetes and hypertension,
 * diabetes and hypertension raise CKD and heart failure, smoking drives COPD). Prevalence is judged
 * at the patient's age at `now`, onset is drawn before that, so the record shows diagnoses appearing.
 */
import type { Condition } from '@medplum/fhirtypes';
import type { PatientContext, Sex } from './context';
import { ref } from './context';
import type { Specialty } from './organizations';
import type { Random } from './random';
import { coding, concept, SYSTEM } from './terminology';
import { dateTime, DAY, YEAR } from './time';

export type ChronicKey =
  | 'obesity' | 'hyperlipidemia' | 'hypertension' | 'diabetes' | 'ckd' | 'heartFailure'
  | 'atrialFibrillation' | 'copd' | 'asthma' | 'depression' | 'hypothyroidism' | 'osteoarthritis';

export type Smoking = 'current' | 'former' | 'never';

export interface ConditionDefinition {
  key: string;
  snomed: [string, string];
  icd10: [string, string];
  /** Who follows the patient up for it; follow-ups per year while active. */
  specialty: Specialty;
  followUpsPerYear: number;
}

type Risk = (age: number, sex: Sex, has: (k: ChronicKey) => boolean, smoking: Smoking) => number;

interface ChronicDefinition extends ConditionDefinition {
  key: ChronicKey;
  prevalence: Risk;
  minOnsetAge: number;
  /** Years before `now` within which onset usually falls (older diagnoses are rarer). */
  onsetSpread: number;
  /** Chance that the condition resolves, and after how many years at most. */
  resolves?: { chance: number; years: number };
}

const band = (age: number, cuts: number[], values: number[]): number => {
  for (let i = 0; i < cuts.length; i++) if (age < cuts[i]) return values[i];
  return values[values.length - 1];
};

/** Ordered so that every risk factor is decided before the conditions it raises. */
export const CHRONIC: readonly ChronicDefinition[] = [
  { key: 'obesity', snomed: ['414916001', 'Obesity'], icd10: ['E66.9', 'Obesity, unspecified'], specialty: 'general', followUpsPerYear: 0.3, minOnsetAge: 4, onsetSpread: 25,
    prevalence: (a) => band(a, [4, 18, 40, 60], [0, 0.15, 0.33, 0.42, 0.38]) },
  { key: 'hyperlipidemia', snomed: ['55822004', 'Hyperlipidemia'], icd10: ['E78.5', 'Hyperlipidaemia, unspecified'], specialty: 'general', followUpsPerYear: 0.5, minOnsetAge: 25, onsetSpread: 20,
    prevalence: (a, _s, has) => band(a, [25, 40, 60, 75], [0, 0.08, 0.3, 0.45, 0.45]) * (has('obesity') ? 1.3 : 1) },
  { key: 'hypertension', snomed: ['38341003', 'Hypertensive disorder, systemic arterial'], icd10: ['I10', 'Essential (primary) hypertension'], specialty: 'general', followUpsPerYear: 1.5, minOnsetAge: 22, onsetSpread: 20,
    prevalence: (a, s, has) => band(a, [20, 40, 60, 75], [0, s === 'male' ? 0.11 : 0.08, 0.33, 0.55, 0.7]) * (has('obesity') ? 1.35 : 0.9) },
  { key: 'diabetes', snomed: ['44054006', 'Diabetes mellitus type 2'], icd10: ['E11.9', 'Type 2 diabetes mellitus without complications'], specialty: 'endocrinology', followUpsPerYear: 2.5, minOnsetAge: 25, onsetSpread: 18,
    prevalence: (a, _s, has) => band(a, [25, 45, 65], [0, 0.03, 0.13, 0.21]) * (has('obesity') ? 1.9 : 0.6) },
  { key: 'ckd', snomed: ['709044004', 'Chronic kidney disease'], icd10: ['N18.9', 'Chronic kidney disease, unspecified'], specialty: 'nephrology', followUpsPerYear: 2, minOnsetAge: 40, onsetSpread: 12,
    prevalence: (a, _s, has) => band(a, [40, 65], [0, 0.05, 0.18]) * (has('diabetes') ? 1.9 : 1) * (has('hypertension') ? 1.4 : 0.8) },
  { key: 'heartFailure', snomed: ['84114007', 'Heart failure'], icd10: ['I50.9', 'Heart failure, unspecified'], specialty: 'cardiology', followUpsPerYear: 3, minOnsetAge: 45, onsetSpread: 10,
    prevalence: (a, _s, has) => band(a, [50, 65, 80], [0.003, 0.02, 0.06, 0.12]) * (has('hypertension') ? 1.8 : 0.6) },
  { key: 'atrialFibrillation', snomed: ['49436004', 'Atrial fibrillation'], icd10: ['I48.9', 'Atrial fibrillation and atrial flutter, unspecified'], specialty: 'cardiology', followUpsPerYear: 2, minOnsetAge: 45, onsetSpread: 12,
    prevalence: (a, s, has) => band(a, [55, 65, 80], [0.003, 0.02, 0.06, 0.12]) * (s === 'male' ? 1.3 : 0.8) * (has('heartFailure') ? 2 : 1) },
  { key: 'copd', snomed: ['13645005', 'Chronic obstructive lung disease'], icd10: ['J44.9', 'Chronic obstructive pulmonary disease, unspecified'], specialty: 'pulmonology', followUpsPerYear: 2, minOnsetAge: 40, onsetSpread: 15,
    prevalence: (a, _s, _h, smoking) => band(a, [40, 60], [0, 0.5, 1]) * (smoking === 'current' ? 0.2 : smoking === 'former' ? 0.11 : 0.02) },
  { key: 'asthma', snomed: ['195967001', 'Asthma'], icd10: ['J45.9', 'Asthma, unspecified'], specialty: 'pulmonology', followUpsPerYear: 1, minOnsetAge: 2, onsetSpread: 40,
    prevalence: (a) => (a < 2 ? 0 : a < 18 ? 0.09 : 0.08), resolves: { chance: 0.3, years: 12 } },
  { key: 'depression', snomed: ['35489007', 'Depressive disorder'], icd10: ['F32.9', 'Depressive episode, unspecified'], specialty: 'psychiatry', followUpsPerYear: 3, minOnsetAge: 13, onsetSpread: 15,
    prevalence: (a, s) => (a < 13 ? 0 : a < 18 ? 0.05 : s === 'female' ? 0.13 : 0.07), resolves: { chance: 0.5, years: 3 } },
  { key: 'hypothyroidism', snomed: ['40930008', 'Hypothyroidism'], icd10: ['E03.9', 'Hypothyroidism, unspecified'], specialty: 'endocrinology', followUpsPerYear: 0.7, minOnsetAge: 20, onsetSpread: 20,
    prevalence: (a, s) => band(a, [20, 45, 65], [0, 0.03, 0.06, 0.1]) * (s === 'female' ? 1.6 : 0.35) },
  { key: 'osteoarthritis', snomed: ['239873007', 'Osteoarthritis of knee'], icd10: ['M17.9', 'Gonarthrosis, unspecified'], specialty: 'orthopedics', followUpsPerYear: 0.7, minOnsetAge: 45, onsetSpread: 15,
    prevalence: (a, s) => band(a, [45, 60, 70], [0, 0.06, 0.14, 0.25]) * (s === 'female' ? 1.3 : 0.8) },
];

/** Problems that bring people to a walk-in clinic or the emergency department. */
export const ACUTE: readonly (ConditionDefinition & { weeks: number; emergencyShare: number })[] = [
  { key: 'bronchitis', snomed: ['10509002', 'Acute bronchitis'], icd10: ['J20.9', 'Acute bronchitis, unspecified'], specialty: 'general', followUpsPerYear: 0, weeks: 3, emergencyShare: 0.1 },
  { key: 'sinusitis', snomed: ['444814009', 'Viral sinusitis'], icd10: ['J01.9', 'Acute sinusitis, unspecified'], specialty: 'general', followUpsPerYear: 0, weeks: 2, emergencyShare: 0.05 },
  { key: 'pharyngitis', snomed: ['195662009', 'Acute viral pharyngitis'], icd10: ['J02.9', 'Acute pharyngitis, unspecified'], specialty: 'general', followUpsPerYear: 0, weeks: 1, emergencyShare: 0.05 },
  { key: 'uti', snomed: ['68566005', 'Urinary tract infectious disease'], icd10: ['N39.0', 'Urinary tract infection, site not specified'], specialty: 'general', followUpsPerYear: 0, weeks: 1, emergencyShare: 0.15 },
  { key: 'sprain', snomed: ['44465007', 'Sprain of ankle'], icd10: ['S93.4', 'Sprain and strain of ankle'], specialty: 'emergency', followUpsPerYear: 0, weeks: 4, emergencyShare: 0.7 },
  { key: 'pneumonia', snomed: ['233604007', 'Pneumonia'], icd10: ['J18.9', 'Pneumonia, unspecified'], specialty: 'emergency', followUpsPerYear: 0, weeks: 4, emergencyShare: 0.6 },
  { key: 'chestPain', snomed: ['29857009', 'Chest pain'], icd10: ['R07.4', 'Chest pain, unspecified'], specialty: 'emergency', followUpsPerYear: 0, weeks: 1, emergencyShare: 0.9 },
  { key: 'gastroenteritis', snomed: ['25374005', 'Gastroenteritis'], icd10: ['A09', 'Other gastroenteritis and colitis of infectious and unspecified origin'], specialty: 'general', followUpsPerYear: 0, weeks: 1, emergencyShare: 0.25 },
];

export interface ConditionState {
  definition: ConditionDefinition;
  id: string;
  onset: number;
  abatement?: number;
  /** When and where it was first recorded in this record (set by the record builder). */
  recorded?: number;
  encounterId?: string;
  recorderId?: string;
}

export function sampleSmoking(random: Random, age: number): Smoking {
  if (age < 15) return 'never';
  return random.weighted<Smoking>(['current', 'former', 'never'], [13, age > 40 ? 26 : 12, 61]);
}

/** Draws the chronic conditions of a patient aged `ageAtNow`, in risk-factor order. */
export function sampleChronicConditions(ctx: PatientContext, ageAtNow: number, smoking: Smoking): ConditionState[] {
  const r = ctx.random;
  const found = new Map<ChronicKey, ConditionState>();
  const has = (k: ChronicKey) => found.has(k);
  for (const def of CHRONIC) {
    const p = Math.min(0.95, def.prevalence(ageAtNow, ctx.sex, has, smoking));
    if (!r.chance(p)) continue;
    const earliest = Math.max(def.minOnsetAge, ageAtNow - def.onsetSpread);
    if (earliest >= ageAtNow) continue;
    const onsetAge = r.uniform(earliest, ageAtNow);
    const onset = ctx.birth + onsetAge * YEAR;
    const state: ConditionState = { definition: def, id: ctx.nextId('cond'), onset };
    if (def.resolves && r.chance(def.resolves.chance)) state.abatement = onset + r.uniform(0.3, def.resolves.years) * YEAR;
    found.set(def.key, state);
  }
  return [...found.values()];
}

export function hasActive(conditions: readonly ConditionState[], key: string, at: number): boolean {
  return conditions.some((c) => c.definition.key === key && c.onset <= at && (c.abatement === undefined || c.abatement > at));
}

export function conditionResource(ctx: PatientContext, c: ConditionState): Condition {
  const resolved = c.abatement !== undefined && c.abatement <= ctx.now;
  const chronic = c.definition.followUpsPerYear > 0;
  const [sctCode, sctDisplay] = c.definition.snomed;
  const [icdCode, icdDisplay] = c.definition.icd10;
  const recorded = c.recorded ?? c.onset + DAY;
  return {
    resourceType: 'Condition',
    id: c.id,
    clinicalStatus: concept(SYSTEM.conditionClinical, resolved ? 'resolved' : 'active', resolved ? 'Resolved' : 'Active'),
    verificationStatus: concept(SYSTEM.conditionVerification, 'confirmed', 'Confirmed'),
    category: [chronic
      ? concept(SYSTEM.conditionCategory, 'problem-list-item', 'Problem List Item')
      : concept(SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')],
    code: { coding: [coding(SYSTEM.snomed, sctCode, sctDisplay), coding(SYSTEM.icd10, icdCode, icdDisplay)], text: sctDisplay },
    subject: ctx.patientRef,
    ...(c.encounterId ? { encounter: ref('Encounter', c.encounterId) } : {}),
    onsetDateTime: dateTime(c.onset),
    ...(resolved ? { abatementDateTime: dateTime(c.abatement!) } : {}),
    recordedDate: dateTime(recorded),
    ...(c.recorderId ? { recorder: ref('Practitioner', c.recorderId) } : {}),
  };
}
