// CHA2DS2-VASc (Lip GY, Nieuwlaat R, Pisters R, Lane DA, Crijns HJ. Chest 2010;137(2):263-72): stroke
// risk in atrial fibrillation. Items as published: Congestive heart failure/LV dysfunction 1,
// Hypertension 1, Age >= 75 2, Diabetes 1, Stroke/TIA/thromboembolism 2, Vascular disease (prior
// myocardial infarction, peripheral artery disease, aortic plaque) 1, Age 65-74 1, Sex category
// female 1. The probability is the adjusted annual stroke rate per score of the ESC 2010 guidelines
// (Camm AJ, Kirchhof P, Lip GY, et al. Eur Heart J 2010;31(19):2369-429, Table 8), which report it
// from Lip 2010; the risk groups are theirs too (0 low, 1 moderate, >= 2 high).
// The ICD-10 stems of each item are this server's reading of the published definitions.
import { CHARLSON } from './charlson-codes';
import { diagnosedBy, icd10CodesOf, matchesStem } from './condition-codes';
import { ageAt, InsufficientData, ref, type PatientRecord, type ScoreComponent, type ScoreResult } from './score';

export const CHA2DS2_VASC_MODEL = {
  code: 'cha2ds2-vasc',
  display: 'CHA2DS2-VASc',
  outcome: 'Stroke or systemic thromboembolism within 1 year (atrial fibrillation without anticoagulation)',
  source:
    'Lip GY, Nieuwlaat R, Pisters R, Lane DA, Crijns HJ. Refining clinical risk stratification for predicting stroke and thromboembolism in atrial fibrillation using a novel risk factor-based approach: the Euro Heart Survey on Atrial Fibrillation. Chest 2010;137(2):263-72; ' +
    'annual stroke rates: Camm AJ, Kirchhof P, Lip GY, et al. Guidelines for the management of atrial fibrillation. Eur Heart J 2010;31(19):2369-429, Table 8.',
};

/** Adjusted stroke rate (% per year) by score 0..9 (ESC 2010, Table 8). */
export const ANNUAL_STROKE_RATE = [0, 1.3, 2.2, 3.2, 4.0, 6.7, 9.8, 9.6, 6.7, 15.2];

const range = (letter: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${letter}${from + i}`);

export const CHA2DS2_VASC_ITEMS = [
  { key: 'C', name: 'Congestive heart failure', points: 1, stems: CHARLSON.congestiveHeartFailure.icd10 },
  { key: 'H', name: 'Hypertension', points: 1, stems: range('I', 10, 15) },
  { key: 'D', name: 'Diabetes mellitus', points: 1, stems: range('E', 10, 14) },
  // Cerebral infarction, stroke not specified, sequelae of infarction, TIA and related syndromes,
  // arterial embolism and thrombosis, personal history of TIA/cerebral infarction (ICD-10-CM Z86.73).
  { key: 'S2', name: 'Stroke, TIA or thromboembolism', points: 2, stems: ['I63', 'I64', 'I693', 'I694', 'G45', 'G46', 'I74', 'Z8673'] },
  // Prior myocardial infarction, atherosclerosis (aortic plaque, peripheral artery disease), PAD.
  { key: 'V', name: 'Vascular disease', points: 1, stems: ['I21', 'I22', 'I252', 'I70', 'I738', 'I739'] },
] as const;

export const ATRIAL_FIBRILLATION_STEMS = ['I48'];

export function cha2ds2Vasc(record: PatientRecord): ScoreResult {
  const conditions = record.conditions.filter((c) => diagnosedBy(c, record.asOf));
  const sexKnown = record.gender === 'female' || record.gender === 'male';
  if (!conditions.length && !record.birthDate && !sexKnown) {
    throw new InsufficientData('cha2ds2-vasc', ['Condition recorded', 'Patient.birthDate', 'Patient.gender (male or female)']);
  }
  const missing: string[] = [];
  const components: ScoreComponent[] = [];
  const patient = `Patient/${record.patientId}`;
  for (const item of CHA2DS2_VASC_ITEMS) {
    const matched = conditions.filter((c) => icd10CodesOf(c).some((code) => matchesStem(code, item.stems)));
    if (matched.length) components.push({ name: item.name, points: item.points, finding: `${item.name} (${item.key})`, basis: matched.map((c) => ref(c as { resourceType: string; id?: string })) });
  }
  if (!conditions.length) missing.push('any recorded Condition (heart failure, hypertension, diabetes, stroke/TIA, vascular disease cannot be ruled out)');
  if (record.birthDate) {
    const age = ageAt(record.birthDate, record.asOf);
    const points = age >= 75 ? 2 : age >= 65 ? 1 : 0;
    components.push({ name: age >= 75 ? 'Age >= 75 (A2)' : 'Age 65-74 (A)', points, finding: `age ${age} years`, basis: [patient] });
  } else missing.push('birth date (age 65-74 scores 1, 75 and over 2)');
  if (sexKnown) components.push({ name: 'Sex category female (Sc)', points: record.gender === 'female' ? 1 : 0, finding: `gender ${record.gender}`, basis: [patient] });
  else missing.push('gender male or female (female scores 1)');

  const points = components.reduce((s, c) => s + c.points, 0);
  const remarks = [`adjusted annual stroke rate at ${points} points: ${ANNUAL_STROKE_RATE[points]} % (ESC 2010, Table 8)`];
  if (!conditions.some((c) => icd10CodesOf(c).some((code) => matchesStem(code, ATRIAL_FIBRILLATION_STEMS)))) {
    remarks.push('no atrial fibrillation is recorded: the score is validated for patients with atrial fibrillation');
  }
  return {
    model: CHA2DS2_VASC_MODEL,
    points,
    components: components.filter((c) => c.points > 0 || c.name.startsWith('Age') || c.name.startsWith('Sex')),
    missing,
    inputs: 3,
    qualitative: points === 0 ? 'low' : points === 1 ? 'moderate' : 'high',
    probability: ANNUAL_STROKE_RATE[points] / 100,
    remarks,
  };
}
