// Profiles built by the tests themselves, as differentials (snapshots generated here): slicing with
// each discriminator type, closed and ordered slicing, fixed and pattern values, required bindings
// to a value set of their own, invariants, extensions with definitions, type and target profiles.
import { ids, makeValidator, profile } from './support';

const CS = 'http://example.org/fhir/CodeSystem/colours';
const VS = 'http://example.org/fhir/ValueSet/warm-colours';
const codeSystem = {
  resourceType: 'CodeSystem',
  id: 'colours',
  url: CS,
  status: 'active',
  content: 'complete',
  concept: [{ code: 'warm', concept: [{ code: 'red' }, { code: 'orange' }] }, { code: 'cold', concept: [{ code: 'blue' }] }],
};
const valueSet = { resourceType: 'ValueSet', id: 'warm-colours', url: VS, status: 'active', compose: { include: [{ system: CS, filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] }] } };

const MRN = 'http://hospital.example.org/mrn';
const patientProfile = profile('mrn-patient', 'Patient', [
  { id: 'Patient', path: 'Patient', constraint: [{ key: 'mrn-1', severity: 'error', human: 'A birth date or a deceased flag', expression: 'birthDate.exists() or deceased.exists()' }] },
  { id: 'Patient.identifier', path: 'Patient.identifier', slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' }, min: 1 },
  { id: 'Patient.identifier:mrn', path: 'Patient.identifier', sliceName: 'mrn', min: 1, max: '1' },
  { id: 'Patient.identifier:mrn.system', path: 'Patient.identifier.system', min: 1, fixedUri: MRN },
  { id: 'Patient.identifier:mrn.value', path: 'Patient.identifier.value', min: 1 },
  { id: 'Patient.gender', path: 'Patient.gender', min: 1 },
  { id: 'Patient.maritalStatus', path: 'Patient.maritalStatus', patternCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus' }] } },
]);

const colourExt = {
  ...profile('favourite-colour', 'Extension', [
    { id: 'Extension', path: 'Extension' },
    { id: 'Extension.url', path: 'Extension.url', fixedUri: 'http://example.org/fhir/StructureDefinition/favourite-colour' },
    { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: 'code' }], binding: { strength: 'required', valueSet: VS } },
  ], 'http://hl7.org/fhir/StructureDefinition/Extension'),
  context: [{ type: 'element', expression: 'Patient' }],
};

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  meta: { profile: ['http://example.org/fhir/StructureDefinition/mrn-patient'] },
  identifier: [{ system: MRN, value: '123' }],
  gender: 'female',
  birthDate: '1980-01-01',
  ...extra,
});

describe('validator: profiles', () => {
  const v = makeValidator([codeSystem, valueSet, patientProfile, colourExt] as never[]);

  it('a conforming instance has no errors', () => {
    expect(v.errors(patient())).toEqual([]);
    expect(v.errors(patient({ identifier: [{ system: 'http://other.example', value: 'a' }, { system: MRN, value: '1' }] }))).toEqual([]);
  });

  it('slicing by value: a required slice missing, or too many in a slice', () => {
    expect(ids(v.errors(patient({ identifier: [{ system: 'http://other.example', value: 'a' }] })))).toEqual(['SLICE_MIN']);
    expect(ids(v.errors(patient({ identifier: [{ system: MRN, value: '1' }, { system: MRN, value: '2' }] })))).toEqual(['SLICE_MAX']);
    expect(ids(v.errors(patient({ identifier: [{ system: MRN }] })))).toEqual(['MIN_CARDINALITY']);
  });

  it('profile cardinality tightens the base (gender 1..1)', () => {
    const { gender: _g, ...rest } = patient();
    expect(ids(v.errors(rest))).toEqual(['MIN_CARDINALITY']);
  });

  it('pattern values must be contained in the instance', () => {
    expect(v.errors(patient({ maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] } }))).toEqual([]);
    expect(ids(v.errors(patient({ maritalStatus: { text: 'married' } })))).toEqual(['PATTERN_VALUE']);
  });

  it("a profile's invariant is evaluated", () => {
    const { birthDate: _b, ...rest } = patient();
    expect(v.errors(rest).map((i) => i.diagnostics).join()).toMatch(/mrn-1/);
  });

  it('an extension with a definition is checked against it, including its required binding', () => {
    const ext = (code: string) => patient({ extension: [{ url: 'http://example.org/fhir/StructureDefinition/favourite-colour', valueCode: code }] });
    expect(v.errors(ext('orange'))).toEqual([]);
    expect(ids(v.errors(ext('blue')))).toEqual(['CODE_NOT_IN_REQUIRED_VALUESET']);
    expect(ids(v.errors(patient({ extension: [{ url: 'http://example.org/fhir/StructureDefinition/favourite-colour', valueString: 'red' }] })))).toEqual(['UNKNOWN_ELEMENT', 'MIN_CARDINALITY']);
  });

  it('only profiles for the same type apply; unknown profiles warn (or fail when strict)', () => {
    expect(ids(v.errors({ resourceType: 'Observation', meta: { profile: ['http://example.org/fhir/StructureDefinition/mrn-patient'] }, status: 'final', code: { text: 'x' } }))).toEqual(['PROFILE_WRONG_TYPE']);
    const unknown = { resourceType: 'Patient', meta: { profile: ['http://example.org/none'] } };
    expect(v.validate(unknown).find((i) => i.messageId === 'PROFILE_UNKNOWN')?.severity).toBe('warning');
    expect(ids(v.errors(unknown, { unknownProfile: 'error' }))).toEqual(['PROFILE_UNKNOWN']);
  });

  it('validates against a profile asked for explicitly, even without meta.profile', () => {
    expect(ids(v.errors({ resourceType: 'Patient' }, { profiles: ['http://example.org/fhir/StructureDefinition/mrn-patient'] }))).toEqual(
      expect.arrayContaining(['MIN_CARDINALITY', 'SLICE_MIN']),
    );
  });
});

describe('validator: slicing rules and discriminator types', () => {
  const closedOrdered = profile('bp', 'Observation', [
    { id: 'Observation.component', path: 'Observation.component', slicing: { discriminator: [{ type: 'pattern', path: 'code' }], ordered: true, rules: 'closed' } },
    { id: 'Observation.component:systolic', path: 'Observation.component', sliceName: 'systolic', min: 1, max: '1' },
    { id: 'Observation.component:systolic.code', path: 'Observation.component.code', patternCodeableConcept: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] } },
    { id: 'Observation.component:diastolic', path: 'Observation.component', sliceName: 'diastolic', min: 1, max: '1' },
    { id: 'Observation.component:diastolic.code', path: 'Observation.component.code', patternCodeableConcept: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] } },
  ]);
  const byType = profile('typed', 'Observation', [
    { id: 'Observation.value[x]', path: 'Observation.value[x]', slicing: { discriminator: [{ type: 'type', path: '$this' }], rules: 'closed' } },
    { id: 'Observation.value[x]:valueQuantity', path: 'Observation.value[x]', sliceName: 'valueQuantity', type: [{ code: 'Quantity' }] },
  ]);
  const byExists = profile('exists', 'Observation', [
    { id: 'Observation.note', path: 'Observation.note', slicing: { discriminator: [{ type: 'exists', path: 'author' }], rules: 'closed' } },
    { id: 'Observation.note:signed', path: 'Observation.note', sliceName: 'signed', min: 0, max: '*' },
    { id: 'Observation.note:signed.author[x]', path: 'Observation.note.author[x]', min: 1 },
  ]);
  const signedPatient = profile('signed-patient', 'Patient', [{ id: 'Patient.active', path: 'Patient.active', min: 1, fixedBoolean: true }]);
  const byProfile = profile('bundle-of-signed', 'Bundle', [
    { id: 'Bundle.entry', path: 'Bundle.entry', slicing: { discriminator: [{ type: 'profile', path: 'resource' }], rules: 'closed' } },
    { id: 'Bundle.entry:p', path: 'Bundle.entry', sliceName: 'p', min: 1 },
    { id: 'Bundle.entry:p.resource', path: 'Bundle.entry.resource', type: [{ code: 'Patient', profile: ['http://example.org/fhir/StructureDefinition/signed-patient'] }] },
  ]);
  const v = makeValidator([closedOrdered, byType, byExists, signedPatient, byProfile] as never[]);
  const bp = (...codes: string[]) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'bp' },
    component: codes.map((c) => ({ code: { coding: [{ system: 'http://loinc.org', code: c }] }, valueQuantity: { value: 1 } })),
  });
  const as = (url: string) => ({ profiles: [`http://example.org/fhir/StructureDefinition/${url}`] });

  it('pattern discriminator, ordered and closed', () => {
    expect(v.errors(bp('8480-6', '8462-4'), as('bp'))).toEqual([]);
    expect(ids(v.errors(bp('8462-4', '8480-6'), as('bp')))).toEqual(['SLICE_ORDER']);
    expect(ids(v.errors(bp('8480-6', '8462-4', '9999-9'), as('bp')))).toEqual(['SLICE_CLOSED']);
    expect(ids(v.errors(bp('8480-6'), as('bp')))).toEqual(['SLICE_MIN']);
  });

  it('type discriminator on a choice element', () => {
    const o = (value: Record<string, unknown>) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, ...value });
    expect(v.errors(o({ valueQuantity: { value: 1 } }), as('typed'))).toEqual([]);
    expect(ids(v.errors(o({ valueString: 'x' }), as('typed')))).toEqual(['SLICE_CLOSED']);
  });

  it('exists discriminator', () => {
    const o = (note: unknown[]) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, note });
    expect(v.errors(o([{ text: 'a', authorString: 'me' }]), as('exists'))).toEqual([]);
    expect(ids(v.errors(o([{ text: 'a' }]), as('exists')))).toEqual(['SLICE_CLOSED']);
  });

  it('profile discriminator', () => {
    const b = (active: boolean) => ({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:0d1f8a0e-7a9e-4b52-9e64-16c1ab0dd2a0', resource: { resourceType: 'Patient', active } }] });
    expect(v.errors(b(true), as('bundle-of-signed'))).toEqual([]);
    expect(ids(v.errors(b(false), as('bundle-of-signed')))).toEqual(expect.arrayContaining(['SLICE_CLOSED', 'SLICE_MIN']));
  });
});
