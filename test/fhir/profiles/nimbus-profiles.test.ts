// The server's own profiles for its core record (fhir-profiles/profiles/): each loads, gets its
// snapshot, and tells valid from invalid instances.
import path from 'node:path';
import { r4Definitions } from '../../../src/fhir/definitions';
import { loadConformanceResources } from '../../../src/fhir/profiles';
import { ResourceValidator } from '../../../src/fhir/validation';
import { ConformanceRegistry } from '../../../src/fhir/validator/registry';
import { coreSource } from '../validator/support';

const BASE = 'http://nimbus-fhir.org/fhir/StructureDefinition';
const validator = new ResourceValidator(r4Definitions(), new ConformanceRegistry(coreSource));
const loaded = loadConformanceResources(path.resolve(__dirname, '..', '..', '..', 'fhir-profiles'), validator);
const errorsOf = (r: Record<string, unknown>) => validator.validate(r, r.resourceType as string).filter((i) => i.severity === 'error');
const idsOf = (r: Record<string, unknown>) => errorsOf(r).map((i) => i.messageId);

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  meta: { profile: [`${BASE}/nimbus-patient`] },
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345' }],
  name: [{ family: 'Chalmers', given: ['Peter'] }],
  gender: 'male',
  birthDate: '1974-12-25',
  ...extra,
});

const bp = (components: Array<[string, string, number, string?]>) => ({
  resourceType: 'Observation',
  meta: { profile: [`${BASE}/nimbus-blood-pressure`] },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  component: components.map(([code, _name, value, unit]) => ({
    code: { coding: [{ system: 'http://loinc.org', code }] },
    valueQuantity: { value, unit: unit ?? 'mmHg', system: 'http://unitsofmeasure.org', code: unit ?? 'mm[Hg]' },
  })),
});

const heartRate = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  meta: { profile: [`${BASE}/nimbus-vital-signs`] },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});

describe("the server's own profiles", () => {
  it('load from fhir-profiles/; their snapshots are generated on first use', () => {
    const urls = loaded.map((c) => c.resource.url);
    for (const id of ['nimbus-patient', 'nimbus-blood-pressure', 'nimbus-vital-signs']) {
      expect(urls).toContain(`${BASE}/${id}`);
      expect(validator.registry.structureDefinition(`${BASE}/${id}`)?.snapshot).toBeUndefined();
      expect(validator.validator.core.profileStructure(`${BASE}/${id}`)?.byId.size).toBeGreaterThan(20);
    }
  });

  it('nimbus-patient: one MRN, a name, a gender and a birth date', () => {
    expect(errorsOf(patient())).toEqual([]);
    expect(idsOf(patient({ identifier: [{ system: 'urn:x', value: '1' }] }))).toEqual(['SLICE_MIN']);
    const twoMrns = patient({ identifier: [...patient().identifier, { ...patient().identifier[0], value: '999' }] });
    expect(idsOf(twoMrns)).toEqual(['SLICE_MAX']);
    const { birthDate: _b, ...noBirth } = patient();
    expect(idsOf(noBirth)).toEqual(['MIN_CARDINALITY']);
    expect(errorsOf(patient({ deceasedDateTime: '1970-01-01' })).map((i) => i.diagnostics).join()).toMatch(/nimbus-pat-1/);
  });

  it('nimbus-blood-pressure: systolic and diastolic in mm[Hg], nothing else', () => {
    expect(errorsOf(bp([['8480-6', 'systolic', 120], ['8462-4', 'diastolic', 80]]))).toEqual([]);
    expect(idsOf(bp([['8480-6', 'systolic', 120]]))).toContain('SLICE_MIN');
    expect(idsOf(bp([['8480-6', 'systolic', 120], ['8462-4', 'diastolic', 80], ['8478-0', 'mean', 93]]))).toEqual(expect.arrayContaining(['SLICE_CLOSED']));
    expect(idsOf(bp([['8480-6', 'systolic', 120, 'kPa'], ['8462-4', 'diastolic', 80]]))).toContain('PATTERN_VALUE');
    expect(idsOf({ ...bp([['8480-6', 'systolic', 120], ['8462-4', 'diastolic', 80]]), subject: { reference: 'Group/g1' } })).toContain('REFERENCE_TARGET_TYPE');
  });

  it('nimbus-vital-signs: a UCUM quantity about a patient, final or with a reason', () => {
    expect(errorsOf(heartRate())).toEqual([]);
    expect(idsOf(heartRate({ valueQuantity: { value: 72, unit: 'bpm' } }))).toEqual(expect.arrayContaining(['MIN_CARDINALITY']));
    expect(errorsOf(heartRate({ status: 'preliminary' })).map((i) => i.diagnostics).join()).toMatch(/nimbus-vs-1/);
    // A coded value is not a Quantity: the Quantity rules of the profile do not apply to it.
    const { valueQuantity: _q, ...coded } = heartRate({ valueCodeableConcept: { text: 'normal' } });
    expect(errorsOf(coded)).toEqual([]);
  });
});
