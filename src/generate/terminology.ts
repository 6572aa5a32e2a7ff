/**
 * Code systems and small CodeableConcept builders shared by the generator modules, so that every
 * module spells a terminology URI the same way (a typo here would make search by token miss data).
 */
import type { CodeableConcept, Coding } from '@medplum/fhirtypes';

export const SYSTEM = {
  snomed: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  ucum: 'http://unitsofmeasure.org',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  appointmentType: 'http://terminology.hl7.org/CodeSystem/v2-0276',
  cancellationReason: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason',
  serviceCategory: 'http://terminology.hl7.org/CodeSystem/service-category',
  organizationType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  locationType: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  practitionerRole: 'http://terminology.hl7.org/CodeSystem/practitioner-role',
  medicationRequestCategory: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category',
  nationalId: 'http://hl7.org/fhir/sid/us-ssn',
  nucc: 'http://nucc.org/provider-taxonomy',
} as const;

export function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}

export function concept(system: string, code: string, display?: string, text?: string): CodeableConcept {
  const c: CodeableConcept = { coding: [coding(system, code, display)] };
  if (text !== undefined) c.text = text;
  return c;
}

export const snomed = (code: string, display: string): CodeableConcept => concept(SYSTEM.snomed, code, display, display);
export const loinc = (code: string, display: string): CodeableConcept => concept(SYSTEM.loinc, code, display, display);
