// The validator against the R4 base definitions: JSON shape, cardinality, choice types, primitive
// rules, required/extensible bindings, code systems, references, contained resources, invariants.
import { ids, makeValidator } from './support';

const v = makeValidator();
const obs = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'weight' }, ...extra });

describe('validator: base definitions', () => {
  it('accepts a plain valid resource without errors', () => {
    expect(v.errors(obs({ valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } }))).toEqual([]);
  });

  it('refuses unknown elements, wrong JSON shapes, empty values and nulls', () => {
    expect(ids(v.errors(obs({ shoeSize: 44 })))).toEqual(['UNKNOWN_ELEMENT']);
    expect(ids(v.errors(obs({ category: { text: 'x' } })))).toContain('ARRAY_EXPECTED');
    expect(ids(v.errors(obs({ subject: [{ reference: 'Patient/1' }] })))).toContain('ARRAY_NOT_ALLOWED');
    expect(ids(v.errors(obs({ note: [] })))).toContain('JSON_EMPTY');
    expect(ids(v.errors(obs({ note: [{}] })))).toContain('JSON_EMPTY');
    expect(ids(v.errors(obs({ issued: null })))).toContain('JSON_NULL');
    expect(ids(v.errors({ resourceType: 'Patient', __proto__x: 1, $where: 1 }))).toEqual(['UNKNOWN_ELEMENT', 'JSON_BAD_KEY']);
  });

  it('checks cardinality and reports the element path', () => {
    const issues = v.errors({ resourceType: 'Observation', status: 'final' });
    expect(ids(issues)).toEqual(['MIN_CARDINALITY']);
    expect(issues[0].expression).toEqual(['Observation.code']);
    expect(ids(v.errors(obs({ valueString: 'a', valueBoolean: true })))).toContain('MAX_CARDINALITY');
  });

  it('knows choice types: only the declared types are element names', () => {
    expect(v.errors(obs({ valueCodeableConcept: { text: 'x' } }))).toEqual([]);
    expect(ids(v.errors(obs({ valueAddress: { city: 'x' } })))).toEqual(['UNKNOWN_ELEMENT']);
  });

  it('checks primitives: JSON type, regex, calendar dates, integer ranges, primitive extensions', () => {
    expect(ids(v.errors({ resourceType: 'Patient', birthDate: '1970-13-01' }))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors({ resourceType: 'Patient', birthDate: '2023-02-29' }))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors({ resourceType: 'Patient', active: 'yes' }))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors({ resourceType: 'Patient', multipleBirthInteger: 2.5 }))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors({ resourceType: 'Patient', id: 'x'.repeat(65) }))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors(obs({ issued: '2020-01-01' })))).toEqual(['PRIMITIVE_INVALID']);
    expect(v.errors({ resourceType: 'Patient', _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] } })).toEqual([]);
    expect(ids(v.errors({ resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, null] }] }))).toContain('JSON_NULL');
  });

  it('required bindings are errors, extensible ones warnings, with the code system checked', () => {
    const gender = v.validate({ resourceType: 'Patient', gender: 'robot' });
    expect(ids(gender)).toContain('CODE_NOT_IN_REQUIRED_VALUESET');
    expect(gender.find((i) => i.messageId === 'CODE_NOT_IN_REQUIRED_VALUESET')?.severity).toBe('error');
    // Condition.clinicalStatus is required-bound to a CodeableConcept value set.
    const cond = (coding: unknown) => ({ resourceType: 'Condition', subject: { reference: 'Patient/1' }, clinicalStatus: { coding: [coding] } });
    expect(v.errors(cond({ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }))).toEqual([]);
    expect(ids(v.errors(cond({ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'nope' })))).toContain('CODE_UNKNOWN_IN_SYSTEM');
    expect(ids(v.errors(cond({ system: 'http://example.org/local', code: 'active' })))).toContain('CODE_NOT_IN_REQUIRED_VALUESET');
    // Observation.interpretation is extensible: a code from elsewhere is a warning, not an error.
    const interp = v.validate(obs({ interpretation: [{ coding: [{ system: 'http://example.org/local', code: 'x' }] }] }));
    expect(interp.filter((i) => i.severity === 'error')).toEqual([]);
    expect(interp.find((i) => i.messageId === 'CODE_NOT_IN_EXTENSIBLE_VALUESET')?.severity).toBe('warning');
    // A wrong display for a known code is a warning by default.
    const display = v.validate(cond({ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active', display: 'Dormant' }));
    expect(display.find((i) => i.messageId === 'CODE_DISPLAY_MISMATCH')?.severity).toBe('warning');
  });

  it('says nothing about codes of systems it does not hold (LOINC, SNOMED CT)', () => {
    expect(v.validate(obs({ code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'anything' }] } })).filter((i) => i.messageId.startsWith('CODE_'))).toEqual([]);
  });

  it('checks reference targets against targetProfile, from the reference text, contained ids and Bundle fullUrls', () => {
    expect(v.errors(obs({ subject: { reference: 'Patient/1' } }))).toEqual([]);
    expect(ids(v.errors(obs({ subject: { reference: 'Medication/1' } })))).toEqual(['REFERENCE_TARGET_TYPE']);
    expect(ids(v.errors(obs({ subject: { reference: 'https://other.example/fhir/Medication/1' } })))).toEqual(['REFERENCE_TARGET_TYPE']);
    expect(ids(v.errors(obs({ subject: { reference: 'Patient/' + 'x'.repeat(65) } })))).toEqual(['REFERENCE_MALFORMED']);
    expect(ids(v.errors(obs({ subject: { reference: 'Spaceship/1' } })))).toEqual(['REFERENCE_MALFORMED']);
    const contained = obs({ contained: [{ resourceType: 'Medication', id: 'm' }], subject: { reference: '#m' } });
    expect(ids(v.errors(contained))).toEqual(['REFERENCE_TARGET_TYPE']);
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'urn:uuid:5b8a7e38-4c1c-4b7f-8a57-0a0b6c7a1d11', resource: { resourceType: 'Medication' } },
        { fullUrl: 'urn:uuid:0d1f8a0e-7a9e-4b52-9e64-16c1ab0dd2a0', resource: obs({ subject: { reference: 'urn:uuid:5b8a7e38-4c1c-4b7f-8a57-0a0b6c7a1d11' } }) },
      ],
    };
    expect(ids(v.errors(bundle))).toEqual(['REFERENCE_TARGET_TYPE']);
  });

  it('contained resources: validated by their own type, referenced (dom-3), without nested containment or versions (dom-2, dom-4)', () => {
    expect(ids(v.errors(obs({ contained: [{ resourceType: 'Organization', id: 'o', name: 5 }], performer: [{ reference: '#o' }] })))).toEqual(['PRIMITIVE_INVALID']);
    expect(ids(v.errors(obs({ contained: [{ resourceType: 'Organization', id: 'o', name: 'x' }] })))).toEqual(['CONTAINED_NOT_REFERENCED']);
    const nested = obs({ contained: [{ resourceType: 'Organization', id: 'o', contained: [{ resourceType: 'Organization', id: 'p' }] }], performer: [{ reference: '#o' }] });
    expect(v.errors(nested).map((i) => i.diagnostics).join()).toMatch(/dom-2/);
    const versioned = obs({ contained: [{ resourceType: 'Organization', id: 'o', meta: { versionId: '1' } }], performer: [{ reference: '#o' }] });
    expect(v.errors(versioned).map((i) => i.diagnostics).join()).toMatch(/dom-4/);
    expect(ids(v.errors(obs({ contained: [{ resourceType: 'Bot' }] })))).toEqual(['RESOURCE_TYPE_UNKNOWN']);
  });

  it('evaluates invariants of resources and datatypes (FHIRPath and the native fast paths)', () => {
    expect(v.errors(obs({ dataAbsentReason: { text: 'x' }, valueString: 'y' })).map((i) => i.diagnostics).join()).toMatch(/obs-6/);
    expect(v.errors(obs({ effectivePeriod: { start: '2020-02-01', end: '2020-01-01' } })).map((i) => i.diagnostics).join()).toMatch(/per-1/);
    expect(v.errors(obs({ valueQuantity: { value: 1, code: 'kg' } })).map((i) => i.diagnostics).join()).toMatch(/qty-3/);
    expect(v.errors(obs({ extension: [{ url: 'http://example.org/x' }] })).map((i) => i.diagnostics).join()).toMatch(/ext-1/);
    expect(v.errors({ resourceType: 'Patient', contact: [{ gender: 'male' }] }).map((i) => i.diagnostics).join()).toMatch(/pat-1/);
  });

  it('an unknown extension is a warning by default, an unknown modifier extension an error', () => {
    const ext = v.validate({ resourceType: 'Patient', extension: [{ url: 'http://example.org/x', valueString: 'y' }] });
    expect(ext.find((i) => i.messageId === 'EXTENSION_UNKNOWN')?.severity).toBe('warning');
    const mod = v.validate({ resourceType: 'Patient', modifierExtension: [{ url: 'http://example.org/x', valueString: 'y' }] });
    expect(mod.find((i) => i.messageId === 'EXTENSION_UNKNOWN')?.severity).toBe('error');
    expect(ids(makeValidator([], { unknownExtensions: 'error' }).errors({ resourceType: 'Patient', extension: [{ url: 'http://example.org/x', valueString: 'y' }] }))).toEqual(['EXTENSION_UNKNOWN']);
  });

  it('validates known extensions against their definitions (R4 core extensions)', () => {
    const birthPlace = (value: Record<string, unknown>) => ({ resourceType: 'Patient', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', ...value }] });
    expect(v.errors(birthPlace({ valueAddress: { city: 'Lyon' } }))).toEqual([]);
    // valueString is not a value type of this extension, and its value[x] (1..1) is then missing.
    expect(ids(v.errors(birthPlace({ valueString: 'Lyon' })))).toEqual(['UNKNOWN_ELEMENT', 'MIN_CARDINALITY']);
  });

  it('stops at a depth limit instead of overflowing the stack', () => {
    let deep: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
    for (let i = 0; i < 5000; i++) deep = { url: 'http://example.org/n', extension: [deep] };
    expect(ids(v.errors({ resourceType: 'Patient', extension: [deep] }))).toContain('TOO_DEEP');
  });
});
