// The appointment no-show target: which Appointments are examples, and the features of one.
// An example is an Appointment whose outcome is known (status `noshow` or `fulfilled`), with a
// `created` and `start` time and a patient whose birth date is stored. The features are those
// no-show studies report (lead time, age, the patient's earlier no-shows and attendances, area
// deprivation, no phone for a reminder, distance to the clinic, weekday and time of day); the same
// function computes them for training and for $predict, from the patient's earlier Appointments
// only (nothing the future would reveal).
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
  { code: 'prior-no-shows-year', description: "The patient's no-shows in the year before the appointment (at most 3)" },
  { code: 'prior-no-shows', description: "The patient's no-shows at any earlier appointment (at most 5)" },
  { code: 'prior-attended', description: 'ln(1 + earlier appointments the patient attended)' },
  { code: 'deprivation-decile', description: 'Area deprivation decile of the home address (Patient.address extension area-deprivation-decile; 5.5 when not recorded)' },
  { code: 'no-phone', description: '1 when Patient.telecom has no phone number (no reminder can be sent)' },
  { code: 'distance', description: 'ln(1 + km from the home address geolocation to the Location of the appointment / 10); 0 when either is unknown' },
  { code: 'monday', description: '1 when the appointment starts on a Monday' },
  { code: 'morning', description: '1 when the appointment starts before noon (UTC)' },
];

export const AREA_DEPRIVATION_URL = 'http://nimbus-fhir.org/fhir/StructureDefinition/area-deprivation-decile';
const GEOLOCATION_URL = 'http://hl7.org/fhir/StructureDefinition/geolocation';

export interface Position {
  latitude: number;
  longitude: number;
}

/** What the no-show target needs of a Patient. */
export interface PatientFacts {
  birth?: number;
  home?: Position;
  deprivationDecile?: number;
  hasPhone: boolean;
}

export function patientFacts(p: Patient): PatientFacts {
  const address = p.address?.find((a) => a.use === 'home') ?? p.address?.[0];
  const geo = address?.extension?.find((x) => x.url === GEOLOCATION_URL)?.extension;
  const latitude = geo?.find((x) => x.url === 'latitude')?.valueDecimal;
  const longitude = geo?.find((x) => x.url === 'longitude')?.valueDecimal;
  const decile = address?.extension?.find((x) => x.url === AREA_DEPRIVATION_URL)?.valueInteger;
  return {
    birth: birthOf(p),
    home: Number.isFinite(latitude) && Number.isFinite(longitude) ? { latitude: latitude!, longitude: longitude! } : undefined,
    deprivationDecile: decile !== undefined && decile >= 1 && decile <= 10 ? decile : undefined,
    hasPhone: !!p.telecom?.some((t) => t.system === 'phone' && t.value),
  };
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** What training and prediction need of one Appointment. */
export interface AppointmentFacts {
  id: string;
  patientId: string;
  start: number;
  created?: number;
  status: string;
  /** The Location participant, for the distance from home. */
  locationId?: string;
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
  const location = a.participant?.map((p) => p.actor?.reference).find((r) => r?.startsWith('Location/'));
  return { id: a.id, patientId: patient.slice('Patient/'.length), start, created: Number.isNaN(created) ? undefined : created, status: a.status, locationId: location?.slice('Location/'.length) };
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

/** Features of `a` given the patient's facts, their other Appointments (any order; only those that
 * started before `a` count) and the positions of Locations. Undefined when `a` lacks what the
 * model needs (a booking time and the patient's birth date). */
export function noShowFeatures(a: AppointmentFacts, patient: PatientFacts | undefined, history: AppointmentFacts[], locations: Map<string, Position>): { features: number[]; priorNoShowRate: number } | undefined {
  if (a.created === undefined || patient?.birth === undefined) return undefined;
  const age = ageYears(patient.birth, a.start);
  const lead = Math.max(0, (a.start - a.created) / DAY);
  const earlier = history.filter((h) => h.id !== a.id && h.start < a.start);
  const recentNoShows = earlier.filter((h) => h.status === 'noshow' && a.start - h.start < YEAR).length;
  const missed = earlier.filter((h) => h.status === 'noshow').length;
  const attended = earlier.filter((h) => h.status === 'fulfilled').length;
  const site = a.locationId ? locations.get(a.locationId) : undefined;
  const km = patient.home && site ? distanceKm(patient.home, site) : undefined;
  const at = new Date(a.start);
  const features = [
    Math.log1p(lead),
    age / 10,
    age >= 18 && age < 35 ? 1 : 0,
    age >= 65 ? 1 : 0,
    Math.min(recentNoShows, 3),
    Math.min(missed, 5),
    Math.log1p(attended),
    patient.deprivationDecile ?? 5.5,
    patient.hasPhone ? 0 : 1,
    km === undefined ? 0 : Math.log1p(km / 10),
    at.getUTCDay() === 1 ? 1 : 0,
    at.getUTCHours() < 12 ? 1 : 0,
  ];
  return { features, priorNoShowRate: missed + attended ? missed / (missed + attended) : 0 };
}

/** Examples from every patient's Appointments (grouped by patient), within [from, to) of start. */
export function noShowExamples(byPatient: Map<string, AppointmentFacts[]>, patients: Map<string, PatientFacts>, locations: Map<string, Position>, from = -Infinity, to = Infinity): NoShowExample[] {
  const out: NoShowExample[] = [];
  for (const [patientId, appointments] of byPatient) {
    for (const a of appointments) {
      if ((a.status !== 'noshow' && a.status !== 'fulfilled') || a.start < from || a.start >= to) continue;
      const f = noShowFeatures(a, patients.get(patientId), appointments, locations);
      if (f) out.push({ appointmentId: a.id, patientId, start: a.start, features: f.features, label: a.status === 'noshow' ? 1 : 0, priorNoShowRate: f.priorNoShowRate });
    }
  }
  return out;
}
