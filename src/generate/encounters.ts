/**
 * Encounters: the visits every other clinical resource hangs off. A `Visit` is the generator's
 * working view of one (kind, time, clinician, why); `encounterResource` turns it into FHIR.
 */
import type { Encounter } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Clinician } from './organizations';
import { concept, SYSTEM } from './terminology';
import { dateTime } from './time';

export type VisitKind = 'wellness' | 'followup' | 'diagnosis' | 'sick' | 'emergency' | 'inpatient' | 'procedure';

export interface Visit {
  id: string;
  kind: VisitKind;
  start: number;
  end: number;
  clinician: Clinician;
  /** Chronic condition keys this visit follows up, or the acute problem key that caused it. */
  focus: string[];
  /** Condition ids the visit is about (Encounter.reasonReference). */
  reasonIds: string[];
  appointmentId?: string;
  waitMinutes?: number;
  /** Set when the patient died during this stay. */
  diedDuring?: boolean;
}

const CLASS: Record<VisitKind, [string, string]> = {
  wellness: ['AMB', 'ambulatory'],
  followup: ['AMB', 'ambulatory'],
  diagnosis: ['AMB', 'ambulatory'],
  sick: ['AMB', 'ambulatory'],
  procedure: ['AMB', 'ambulatory'],
  emergency: ['EMER', 'emergency'],
  inpatient: ['IMP', 'inpatient encounter'],
};

/** SNOMED CT encounter types. */
const TYPE: Record<VisitKind, [string, string]> = {
  wellness: ['185349003', 'Encounter for check up'],
  followup: ['390906007', 'Follow-up encounter'],
  diagnosis: ['185347001', 'Encounter for problem'],
  sick: ['185345009', 'Encounter for symptom'],
  procedure: ['305408004', 'Admission to surgical department'],
  emergency: ['50849002', 'Emergency room admission'],
  inpatient: ['32485007', 'Hospital admission'],
};

export function encounterResource(ctx: PatientContext, visit: Visit): Encounter {
  const [classCode, classDisplay] = CLASS[visit.kind];
  const [typeCode, typeDisplay] = TYPE[visit.kind];
  const site = visit.clinician.site;
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: visit.id,
    status: 'finished',
    class: { system: SYSTEM.actCode, code: classCode, display: classDisplay },
    type: [concept(SYSTEM.snomed, typeCode, typeDisplay, typeDisplay)],
    subject: ctx.patientRef,
    participant: [{
      type: [concept('http://terminology.hl7.org/CodeSystem/v3-ParticipationType', 'PPRF', 'primary performer')],
      individual: ref('Practitioner', visit.clinician.practitionerId),
    }],
    ...(visit.appointmentId ? { appointment: [ref('Appointment', visit.appointmentId)] } : {}),
    period: { start: dateTime(visit.start), end: dateTime(visit.end) },
    ...(visit.reasonIds.length ? { reasonReference: visit.reasonIds.map((id) => ref('Condition', id)) } : {}),
    location: [{ location: ref('Location', site.locationId), status: 'completed' }],
    serviceProvider: ref('Organization', site.organizationId),
  };
  if (visit.kind === 'inpatient' || visit.kind === 'emergency') {
    encounter.hospitalization = {
      // Unplanned admissions in this model all come through the emergency department.
      ...(visit.kind === 'inpatient' ? { admitSource: concept('http://terminology.hl7.org/CodeSystem/admit-source', 'emd', 'From accident/emergency department') } : {}),
      dischargeDisposition: visit.diedDuring
        ? concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'exp', 'Expired')
        : concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'home', 'Home'),
    };
  }
  return encounter;
}
