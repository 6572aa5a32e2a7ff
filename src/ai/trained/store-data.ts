// Reads what the no-show target needs from the store, page by page through the caller's door:
// each patient's facts (birth date, home, deprivation decile, phone), Location positions and a compact record of every Appointment (a few numbers each), never
// whole resources held at once.
import type { Appointment, Location, Patient } from '@medplum/fhirtypes';
import type { DataAccess } from '../../access/data-access';
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
