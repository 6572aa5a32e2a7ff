// The appointment no-show target: which Appointments are examples, and the features of one.
// An example is an Appointment whose outcome is known (status `noshow` or `fulfilled`), with a
// `created` and `start` time and a patient whose birth date is stored. The features are those
// no-show studies report as strongest (lead time, age, the patient's recent no-shows) plus the
// slot's weekday and time of day; the same function computes them for training and for $predict,
// from the patient's earlier Appointments only (nothing the future would reveal).
import type { Appointment, Patient } from '@medplum/fhirtypes';

const DAY = 86_400_000;
const YEAR = 365 * DAY;

export interface FeatureDefinition {
  code: string;
  description: string;
}

export const NO_SHOW_FEATURES: FeatureDefinition[] = [
  { code: 'lead-time', description: 'ln(1 + days between Appointment.created and Appointment.start)' },
  { code: 'age-decades', description: "Patient's age at the appointment, in decades" },
  { code: 'age-18-34', description: '1 when the patient is 18 to 34 years old at the appointment' },
  { code: 'age-65-plus', description: '1 when the patient is 65 or older at the appointment' },
  { code: 'prior-no-shows', description: "The patient's no-shows in the year before the appointment (at most 3)" },
  { code: 'monday', description: '1 when the appointment starts on a Monday' },
  { code: 'morning', description: '1 when the appointment starts before noon (UTC)' },
];

/** What training and prediction need of one Appointment. */
export interface AppointmentFacts {
  id: string;
  patientId: string;
  start: number;
  created?: number;
  status: string;
}

export interface NoShowExample {
  appointmentId: string;
  patientId: string;
  start: number;
  features: number[];
  label: number;
  /** The baseline's score: the patient's share of no-shows among earlier kept or missed visits. */
  priorNoShowRate: number;
}

export function appointmentFacts(a: Appointment): AppointmentFacts | undefined {
  const patient = a.participant?.map((p) => p.actor?.reference).find((r) => r?.startsWith('Patient/'));
  const start = a.start ? Date.parse(a.start) : NaN;
  if (!a.id || !patient || Number.isNaN(start)) return undefined;
  const created = a.created ? Date.parse(a.created) : NaN;
  return { id: a.id, patientId: patient.slice('Patient/'.length), start, created: Number.isNaN(created) ? undefined : created, status: a.status };
}

export function birthOf(p: Patient): number | undefined {
  const t = p.birthDate ? Date.parse(p.birthDate) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

function ageYears(birth: number, at: number): number {
  const b = new Date(birth);
  const d = new Date(at);
  let age = d.getUTCFullYear() - b.getUTCFullYear();
  if (d.getUTCMonth() < b.getUTCMonth() || (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

/** Features of `a` given the patient's birth and their other Appointments (any order; only those
 * that started before `a` count). Undefined when `a` lacks what the model needs. */
export function noShowFeatures(a: AppointmentFacts, birth: number | undefined, history: AppointmentFacts[]): { features: number[]; priorNoShowRate: number } | undefined {
  if (a.created === undefined || birth === undefined) return undefined;
  const age = ageYears(birth, a.start);
  const lead = Math.max(0, (a.start - a.created) / DAY);
  const earlier = history.filter((h) => h.id !== a.id && h.start < a.start);
  const recentNoShows = earlier.filter((h) => h.status === 'noshow' && a.start - h.start < YEAR).length;
  const decided = earlier.filter((h) => h.status === 'noshow' || h.status === 'fulfilled');
  const missed = decided.filter((h) => h.status === 'noshow').length;
  const at = new Date(a.start);
  const features = [Math.log1p(lead), age / 10, age >= 18 && age < 35 ? 1 : 0, age >= 65 ? 1 : 0, Math.min(recentNoShows, 3), at.getUTCDay() === 1 ? 1 : 0, at.getUTCHours() < 12 ? 1 : 0];
  return { features, priorNoShowRate: decided.length ? missed / decided.length : 0 };
}

/** Examples from every patient's Appointments (grouped by patient), within [from, to) of start. */
export function noShowExamples(byPatient: Map<string, AppointmentFacts[]>, births: Map<string, number>, from = -Infinity, to = Infinity): NoShowExample[] {
  const out: NoShowExample[] = [];
  for (const [patientId, appointments] of byPatient) {
    for (const a of appointments) {
      if ((a.status !== 'noshow' && a.status !== 'fulfilled') || a.start < from || a.start >= to) continue;
      const f = noShowFeatures(a, births.get(patientId), appointments);
      if (f) out.push({ appointmentId: a.id, patientId, start: a.start, features: f.features, label: a.status === 'noshow' ? 1 : 0, priorNoShowRate: f.priorNoShowRate });
    }
  }
  return out;
}
