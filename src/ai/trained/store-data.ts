// Reads what a target needs from the store, page by page through the caller's door, as compact
// facts (a few numbers each), never whole resources held at once. No-show: each patient's facts
// (birth date, home, deprivation decile, phone), Location positions and every Appointment.
// Readmission: Patients, inpatient and emergency Encounters, Charlson Conditions.
import type { Appointment, Condition, Encounter, Location, Patient } from '@medplum/fhirtypes';
import type { DataAccess } from '../../access/data-access';
import { conditionFacts, encounterFacts, HOSPITAL_CLASSES, readmissionPatient, type ConditionFacts, type EncounterFacts, type ReadmissionPatient } from './readmission';
import { appointmentFacts, patientFacts, type AppointmentFacts, type PatientFacts, type Position } from './no-show';

const PAGE = 500;

async function scan(data: DataAccess, resourceType: string, each: (json: string) => void, onPage: () => Promise<void>): Promise<void> {
  let after: string | undefined;
  do {
    const page = await data.scanPage({ resourceType, after, limit: PAGE });
    for (const v of page.versions) if (v.json) each(v.json);
    after = page.next;
    await onPage();
  } while (after);
}

export interface AppointmentData {
  patients: Map<string, PatientFacts>;
  locations: Map<string, Position>;
  byPatient: Map<string, AppointmentFacts[]>;
}

export function locationPosition(l: Location): Position | undefined {
  const p = l.position;
  return p && Number.isFinite(p.latitude) && Number.isFinite(p.longitude) ? { latitude: p.latitude, longitude: p.longitude } : undefined;
}

export async function readAppointmentData(data: DataAccess, onPage: () => Promise<void>): Promise<AppointmentData> {
  const patients = new Map<string, PatientFacts>();
  await scan(data, 'Patient', (json) => {
    const p = JSON.parse(json) as Patient;
    if (p.id) patients.set(p.id, patientFacts(p));
  }, onPage);
  const locations = new Map<string, Position>();
  await scan(data, 'Location', (json) => {
    const l = JSON.parse(json) as Location;
    const position = locationPosition(l);
    if (l.id && position) locations.set(l.id, position);
  }, onPage);
  const byPatient = new Map<string, AppointmentFacts[]>();
  await scan(data, 'Appointment', (json) => {
    const facts = appointmentFacts(JSON.parse(json) as Appointment);
    if (!facts) return;
    const list = byPatient.get(facts.patientId);
    if (list) list.push(facts);
    else byPatient.set(facts.patientId, [facts]);
  }, onPage);
  return { patients, locations, byPatient };
}

export interface ReadmissionData {
  patients: Map<string, ReadmissionPatient>;
  encountersByPatient: Map<string, EncounterFacts[]>;
  conditionsByPatient: Map<string, ConditionFacts[]>;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What the readmission target reads: Patients, the inpatient and emergency Encounters (the
 * others play no part) and the Conditions that count in the Charlson index. */
export async function readReadmissionData(data: DataAccess, onPage: () => Promise<void>): Promise<ReadmissionData> {
  const patients = new Map<string, ReadmissionPatient>();
  await scan(data, 'Patient', (json) => {
    const p = JSON.parse(json) as Patient;
    if (p.id) patients.set(p.id, readmissionPatient(p));
  }, onPage);
  const encountersByPatient = new Map<string, EncounterFacts[]>();
  await scan(data, 'Encounter', (json) => {
    const e = encounterFacts(JSON.parse(json) as Encounter);
    if (e && HOSPITAL_CLASSES.has(e.classCode)) push(encountersByPatient, e.patientId, e);
  }, onPage);
  const conditionsByPatient = new Map<string, ConditionFacts[]>();
  await scan(data, 'Condition', (json) => {
    const c = conditionFacts(JSON.parse(json) as Condition);
    if (c) push(conditionsByPatient, c.patientId, c);
  }, onPage);
  return { patients, encountersByPatient, conditionsByPatient };
}
