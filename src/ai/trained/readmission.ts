// The 30-day readmission target: which inpatient stays are examples, and the features of one.
// An example is a finished inpatient Encounter (class IMP) with a period, whose patient was not
// discharged dead and whose 30 days of follow-up lie inside the data (the newest Encounter in the
// store marks the end of follow-up; a patient who died within 30 days without a readmission is left
// out, since their outcome is unknown). Its label: another inpatient admission of the patient that
// starts within 30 days after this discharge. The features are the LACE index's components
// (van Walraven 2010) computed as src/ai/risk/lace.ts does, the prior admissions of the HOSPITAL
// score (Donzé 2013), whether the stay was for heart failure or COPD, and age; the baseline is the
// LACE score itself. Only what was known at discharge is used.
import type { Condition, Encounter, Patient } from '@medplum/fhirtypes';
import { charlsonComorbidities } from '../risk/charlson';
import { charlsonCategoryOfIcd10 } from '../risk/charlson-codes';
import { icd10CodesOf } from '../risk/condition-codes';
import { comorbidityPoints, emergencyVisitPoints, lengthOfStayDays, losPoints } from '../risk/lace';
import { birthOf, type FeatureDefinition } from './no-show';

const DAY = 86_400_000;
const THIRTY_DAYS = 30 * DAY;
const SIX_MONTHS = 182.5 * DAY;
const YEAR = 365 * DAY;
const INPATIENT = new Set(['IMP', 'ACUTE', 'NONAC']);
/** The Encounter classes the target reads: stays and emergency visits. */
export const HOSPITAL_CLASSES = new Set([...INPATIENT, 'EMER']);

export const READMISSION_FEATURES: FeatureDefinition[] = [
  { code: 'length-of-stay', description: 'ln(1 + days from admission date to discharge date) of the stay' },
  { code: 'emergency-admission', description: '1 when the admission was emergent (admitSource emd, or an emergency visit led to it)' },
  { code: 'charlson', description: 'Charlson comorbidity index (without age) of the Conditions diagnosed by discharge' },
  { code: 'ed-visits-6-months', description: 'Emergency visits in the 6 months before admission, not counting the one that led to it (at most 4)' },
  { code: 'admissions-12-months', description: 'Inpatient admissions in the 12 months before this one (at most 3)' },
  { code: 'heart-failure-or-copd', description: '1 when the stay was for heart failure or COPD (Encounter.reasonReference)' },
  { code: 'age-decades', description: "Patient's age at admission, in decades" },
  { code: 'age-75-plus', description: '1 when the patient is 75 or older at admission' },
];

/** What the target needs of one Encounter. */
export interface EncounterFacts {
  id: string;
  patientId: string;
  classCode: string;
  start: number;
  end: number;
  admitSource?: string;
  diedInHospital: boolean;
  reasonConditionIds: string[];
}

/** A Condition reduced to what the Charlson index and the stay's reason need. */
export interface ConditionFacts {
  id: string;
  patientId: string;
  condition: Condition;
  cardioPulmonary: boolean;
}

export interface ReadmissionExample {
  encounterId: string;
  patientId: string;
  start: number;
  features: number[];
  label: number;
  /** The baseline's score: the LACE index. */
  lace: number;
}

export interface ReadmissionPatient {
  birth?: number;
  death?: number;
}

export function encounterFacts(e: Encounter): EncounterFacts | undefined {
  const patient = e.subject?.reference;
  const start = e.period?.start ? Date.parse(e.period.start) : NaN;
  const end = e.period?.end ? Date.parse(e.period.end) : NaN;
  if (!e.id || !patient?.startsWith('Patient/') || Number.isNaN(start) || e.status === 'entered-in-error' || e.status === 'cancelled') return undefined;
  return {
    id: e.id,
    patientId: patient.slice('Patient/'.length),
    classCode: e.class?.code ?? '',
    start,
    end: Number.isNaN(end) ? start : end,
    admitSource: e.hospitalization?.admitSource?.coding?.[0]?.code,
    diedInHospital: !!e.hospitalization?.dischargeDisposition?.coding?.some((c) => c.code === 'exp'),
    reasonConditionIds: (e.reasonReference ?? []).map((r) => r.reference ?? '').filter((r) => r.startsWith('Condition/')).map((r) => r.slice('Condition/'.length)),
  };
}

/** Only Conditions that count in the Charlson index are kept; undefined for the others. */
export function conditionFacts(c: Condition): ConditionFacts | undefined {
  const patient = c.subject?.reference;
  if (!c.id || !patient?.startsWith('Patient/')) return undefined;
  const codes = icd10CodesOf(c);
  if (!codes.some((code) => charlsonCategoryOfIcd10(code))) return undefined;
  const slim: Condition = { resourceType: 'Condition', id: c.id, subject: c.subject, code: c.code, onsetDateTime: c.onsetDateTime, onsetPeriod: c.onsetPeriod, recordedDate: c.recordedDate, verificationStatus: c.verificationStatus };
  return { id: c.id, patientId: patient.slice('Patient/'.length), condition: slim, cardioPulmonary: codes.some((code) => /^(I50|J44)/.test(code.replace('.', '').toUpperCase())) };
}

export function readmissionPatient(p: Patient): ReadmissionPatient {
  const death = p.deceasedDateTime ? Date.parse(p.deceasedDateTime) : NaN;
  return { birth: birthOf(p), death: Number.isNaN(death) ? undefined : death };
}

const isStay = (e: EncounterFacts) => INPATIENT.has(e.classCode) && e.end >= e.start;

/** Features and LACE score of one stay, from the patient's encounters and Charlson conditions. */
export function readmissionFeatures(stay: EncounterFacts, patient: ReadmissionPatient | undefined, encounters: EncounterFacts[], conditions: ConditionFacts[]): { features: number[]; lace: number } | undefined {
  if (patient?.birth === undefined || !isStay(stay)) return undefined;
  const days = lengthOfStayDays(new Date(stay.start).toISOString(), new Date(stay.end).toISOString());
  const emergencies = encounters.filter((e) => e.classCode === 'EMER' && e.start < stay.start);
  const leading = emergencies.find((e) => stay.start - e.end <= DAY);
  const acute = stay.admitSource === 'emd' || (stay.admitSource === undefined && leading !== undefined);
  const ed = emergencies.filter((e) => e !== leading && e.start >= stay.start - SIX_MONTHS).length;
  const admissions = encounters.filter((e) => e.id !== stay.id && isStay(e) && e.start < stay.start && e.start >= stay.start - YEAR).length;
  const charlson = charlsonComorbidities(conditions.map((c) => c.condition), new Date(stay.end)).points;
  const reasons = new Set(stay.reasonConditionIds);
  const cardioPulmonary = conditions.some((c) => reasons.has(c.id) && c.cardioPulmonary);
  const age = (stay.start - patient.birth) / (365.25 * DAY);
  const features = [Math.log1p(Math.max(0, days)), acute ? 1 : 0, charlson, Math.min(ed, 4), Math.min(admissions, 3), cardioPulmonary ? 1 : 0, age / 10, age >= 75 ? 1 : 0];
  return { features, lace: losPoints(days) + (acute ? 3 : 0) + comorbidityPoints(charlson) + emergencyVisitPoints(ed) };
}

/** Examples from every patient's stays, admitted within [from, to). */
export function readmissionExamples(
  encountersByPatient: Map<string, EncounterFacts[]>,
  conditionsByPatient: Map<string, ConditionFacts[]>,
  patients: Map<string, ReadmissionPatient>,
  from = -Infinity,
  to = Infinity,
): ReadmissionExample[] {
  let followUpEnd = -Infinity;
  for (const list of encountersByPatient.values()) for (const e of list) followUpEnd = Math.max(followUpEnd, e.start);
  const out: ReadmissionExample[] = [];
  for (const [patientId, encounters] of encountersByPatient) {
    const patient = patients.get(patientId);
    for (const stay of encounters) {
      if (!isStay(stay) || stay.diedInHospital || stay.start < from || stay.start >= to || stay.end + THIRTY_DAYS > followUpEnd) continue;
      const readmitted = encounters.some((e) => isStay(e) && e.start > stay.end && e.start <= stay.end + THIRTY_DAYS);
      if (!readmitted && patient?.death !== undefined && patient.death <= stay.end + THIRTY_DAYS) continue;
      const f = readmissionFeatures(stay, patient, encounters, conditionsByPatient.get(patientId) ?? []);
      if (f) out.push({ encounterId: stay.id, patientId, start: stay.start, features: f.features, label: readmitted ? 1 : 0, lace: f.lace });
    }
  }
  return out;
}
