// Reads what the no-show target needs from the store, page by page through the caller's door:
// each patient's birth date and a compact record of every Appointment (a few numbers each), never
// whole resources held at once.
import type { Appointment, Patient } from '@medplum/fhirtypes';
import type { DataAccess } from '../../access/data-access';
import { appointmentFacts, birthOf, type AppointmentFacts } from './no-show';

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
  births: Map<string, number>;
  byPatient: Map<string, AppointmentFacts[]>;
}

export async function readAppointmentData(data: DataAccess, onPage: () => Promise<void>): Promise<AppointmentData> {
  const births = new Map<string, number>();
  await scan(data, 'Patient', (json) => {
    const p = JSON.parse(json) as Patient;
    const birth = birthOf(p);
    if (p.id && birth !== undefined) births.set(p.id, birth);
  }, onPage);
  const byPatient = new Map<string, AppointmentFacts[]>();
  await scan(data, 'Appointment', (json) => {
    const facts = appointmentFacts(JSON.parse(json) as Appointment);
    if (!facts) return;
    const list = byPatient.get(facts.patientId);
    if (list) list.push(facts);
    else byPatient.set(facts.patientId, [facts]);
  }, onPage);
  return { births, byPatient };
}
