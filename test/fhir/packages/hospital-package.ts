// A small FHIR package of a hospital's own, built by the tests: a Patient profile with an MRN
// identifier slice (pattern discriminator), a fixed value, a required binding to the package's own
// value set, an invariant and an extension (defined in the package, with a required binding of
// its own), plus a SearchParameter over that extension.
import type { TestPackage } from '../../support/fhir-package';

export const BASE = 'http://hospital.example.org/fhir';
export const PATIENT_PROFILE = `${BASE}/StructureDefinition/hospital-patient`;
export const WARD_EXTENSION = `${BASE}/StructureDefinition/ward`;
export const MRN_SYSTEM = 'http://hospital.example.org/mrn';

const codeSystem = {
  resourceType: 'CodeSystem',
  id: 'hospital-ward',
  url: `${BASE}/CodeSystem/hospital-ward`,
  version: '1.0.0',
  name: 'HospitalWard',
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'north', display: 'North wing' },
    { code: 'south', display: 'South wing' },
  ],
};

const wardValueSet = {
  resourceType: 'ValueSet',
  id: 'hospital-ward',
  url: `${BASE}/ValueSet/hospital-ward`,
  version: '1.0.0',
  name: 'HospitalWard',
  status: 'active',
  compose: { include: [{ system: codeSystem.url }] },
};

/** Marital status, narrowed to two codes of the R4 code system. */
const maritalValueSet = {
  resourceType: 'ValueSet',
  id: 'hospital-marital',
  url: `${BASE}/ValueSet/hospital-marital`,
  version: '1.0.0',
  name: 'HospitalMarital',
  status: 'active',
  compose: { include: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', concept: [{ code: 'M' }, { code: 'S' }] }] },
};

const wardExtension = {
  resourceType: 'StructureDefinition',
  id: 'ward',
  url: WARD_EXTENSION,
  version: '1.0.0',
  name: 'Ward',
  status: 'active',
  fhirVersion: '4.0.1',
  kind: 'complex-type',
  abstract: false,
  context: [{ type: 'element', expression: 'Patient' }],
  type: 'Extension',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
  derivation: 'constraint',
  differential: {
    element: [
      { id: 'Extension', path: 'Extension', max: '1' },
      { id: 'Extension.extension', path: 'Extension.extension', max: '0' },
      { id: 'Extension.url', path: 'Extension.url', fixedUri: WARD_EXTENSION },
      { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: 'code' }], binding: { strength: 'required', valueSet: wardValueSet.url } },
    ],
  },
};

const patientProfile = {
  resourceType: 'StructureDefinition',
  id: 'hospital-patient',
  url: PATIENT_PROFILE,
  version: '1.0.0',
  name: 'HospitalPatient',
  status: 'active',
  fhirVersion: '4.0.1',
  kind: 'resource',
  abstract: false,
  type: 'Patient',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
  derivation: 'constraint',
  differential: {
    element: [
      {
        id: 'Patient',
        path: 'Patient',
        constraint: [{ key: 'hosp-1', severity: 'error', human: 'A hospital patient has a family name', expression: 'name.family.exists()', source: PATIENT_PROFILE }],
      },
      { id: 'Patient.extension', path: 'Patient.extension', slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } },
      { id: 'Patient.extension:ward', path: 'Patient.extension', sliceName: 'ward', min: 0, max: '1', type: [{ code: 'Extension', profile: [WARD_EXTENSION] }] },
      { id: 'Patient.identifier', path: 'Patient.identifier', slicing: { discriminator: [{ type: 'pattern', path: 'system' }], rules: 'open' }, min: 1 },
      { id: 'Patient.identifier:mrn', path: 'Patient.identifier', sliceName: 'mrn', min: 1, max: '1' },
      { id: 'Patient.identifier:mrn.system', path: 'Patient.identifier.system', min: 1, patternUri: MRN_SYSTEM },
      { id: 'Patient.identifier:mrn.value', path: 'Patient.identifier.value', min: 1 },
      { id: 'Patient.active', path: 'Patient.active', min: 1, fixedBoolean: true },
      { id: 'Patient.maritalStatus', path: 'Patient.maritalStatus', binding: { strength: 'required', valueSet: maritalValueSet.url } },
    ],
  },
};

const wardSearchParameter = {
  resourceType: 'SearchParameter',
  id: 'hospital-ward',
  url: `${BASE}/SearchParameter/hospital-ward`,
  version: '1.0.0',
  name: 'ward',
  status: 'active',
  description: 'The ward a patient belongs to',
  code: 'ward',
  base: ['Patient'],
  type: 'token',
  expression: `Patient.extension.where(url='${WARD_EXTENSION}').value`,
};

export function hospitalPackage(version = '1.0.0'): TestPackage {
  // Fresh copies: a test may break its package without touching another's.
  const resources = JSON.parse(JSON.stringify([codeSystem, wardValueSet, maritalValueSet, wardExtension, patientProfile, wardSearchParameter])) as Array<{ resourceType: string; id: string; url: string }>;
  const files: Record<string, unknown> = Object.fromEntries(resources.map((r) => [`${r.resourceType}-${r.id}.json`, r]));
  files['.index.json'] = { 'index-version': 1, files: resources.map((r) => ({ filename: `${r.resourceType}-${r.id}.json`, resourceType: r.resourceType, id: r.id, url: r.url })) };
  // An example: not conformance content, never installed.
  files['example/Patient-example.json'] = { resourceType: 'Patient', id: 'example', active: true };
  return {
    manifest: { name: 'example.hospital.r4', version, description: 'A test hospital package', fhirVersions: ['4.0.1'], dependencies: { 'hl7.fhir.r4.core': '4.0.1', 'hl7.terminology.r4': '5.0.0' } },
    files,
  };
}

/** A valid patient of the profile; `change` breaks it in one way. */
export function hospitalPatient(id: string, change: (p: Record<string, unknown>) => void = () => undefined): Record<string, unknown> {
  const p: Record<string, unknown> = {
    resourceType: 'Patient',
    id,
    meta: { profile: [PATIENT_PROFILE] },
    extension: [{ url: WARD_EXTENSION, valueCode: 'north' }],
    identifier: [{ system: MRN_SYSTEM, value: `mrn-${id}` }, { system: 'urn:oid:1.2.3.4', value: 'other' }],
    active: true,
    name: [{ family: 'Lind', given: ['Ada'] }],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] },
  };
  change(p);
  return p;
}
