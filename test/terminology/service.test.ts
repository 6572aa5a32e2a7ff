// The terminology service over R4's own code systems and value sets and over resources a client
// could store: $lookup, $validate-code, $subsumes, $expand (filter, count/offset, designations,
// hierarchy, compose include/exclude with is-a / descendent-of / = / regex), $translate.
import { FhirError } from '../../src/fhir/errors';
import { ConformanceRegistry } from '../../src/fhir/validator/registry';
import { MAX_EXPANSION, TerminologyService } from '../../src/terminology/service';
import { coreSource } from '../fhir/validator/support';

const CS = 'http://example.org/fhir/CodeSystem/body-site';
const codeSystem = {
  resourceType: 'CodeSystem',
  url: CS,
  version: '1',
  name: 'BodySite',
  status: 'active',
  content: 'complete',
  property: [{ code: 'side', type: 'code' }],
  concept: [
    {
      code: 'limb',
      display: 'Limb',
      concept: [
        { code: 'arm', display: 'Arm', designation: [{ language: 'fr', value: 'Bras' }], concept: [{ code: 'left-arm', display: 'Left arm', property: [{ code: 'side', valueCode: 'left' }] }, { code: 'right-arm', display: 'Right arm', property: [{ code: 'side', valueCode: 'right' }] }] },
        { code: 'leg', display: 'Leg', concept: [{ code: 'left-leg', display: 'Left leg', property: [{ code: 'side', valueCode: 'left' }] }] },
      ],
    },
    { code: 'head', display: 'Head' },
  ],
};
const vs = (id: string, compose: Record<string, unknown>) => ({ resourceType: 'ValueSet', url: `http://example.org/fhir/ValueSet/${id}`, status: 'active', compose });

function service() {
  const registry = new ConformanceRegistry(coreSource);
  registry.add(codeSystem);
  registry.add(vs('arms', { include: [{ system: CS, filter: [{ property: 'concept', op: 'is-a', value: 'arm' }] }] }));
  registry.add(vs('below-limb', { include: [{ system: CS, filter: [{ property: 'concept', op: 'descendent-of', value: 'limb' }] }], exclude: [{ system: CS, concept: [{ code: 'leg' }] }] }));
  registry.add(vs('left', { include: [{ system: CS, filter: [{ property: 'side', op: '=', value: 'left' }] }] }));
  registry.add(vs('legs-regex', { include: [{ system: CS, filter: [{ property: 'code', op: 'regex', value: '.*-leg' }] }] }));
  registry.add(vs('imports', { include: [{ valueSet: ['http://example.org/fhir/ValueSet/arms'] }, { system: 'http://loinc.org', concept: [{ code: '8480-6', display: 'Systolic blood pressure' }] }] }));
  registry.add(vs('all-loinc', { include: [{ system: 'http://loinc.org' }] }));
  registry.add({
    resourceType: 'ConceptMap',
    url: 'http://example.org/fhir/ConceptMap/site-to-side',
    status: 'active',
    group: [{ source: CS, target: 'http://example.org/side', element: [{ code: 'left-arm', target: [{ code: 'L', equivalence: 'wider' }] }, { code: 'head', target: [{ equivalence: 'unmatched' }] }] }],
  });
  return new TerminologyService(registry);
}

describe('terminology service', () => {
  const t = service();

  it('$lookup: display, designations, hierarchy and properties; unknown codes are 404', () => {
    const r = t.lookup({ system: CS, code: 'arm' });
    expect(r).toMatchObject({ name: 'BodySite', version: '1', display: 'Arm', designation: [{ language: 'fr', value: 'Bras' }] });
    expect(r.property).toEqual(expect.arrayContaining([{ code: 'parent', value: 'limb' }, { code: 'child', value: 'left-arm' }]));
    expect(t.lookup({ system: 'http://hl7.org/fhir/administrative-gender', code: 'female' }).display).toBe('Female');
    expect(() => t.lookup({ system: CS, code: 'tail' })).toThrow(FhirError);
    expect(() => t.lookup({ system: 'http://snomed.info/sct', code: '1' })).toThrow(/not known/);
  });

  it('$subsumes', () => {
    expect(t.subsumes({ system: CS, codeA: 'limb', codeB: 'left-arm' })).toBe('subsumes');
    expect(t.subsumes({ system: CS, codeA: 'left-arm', codeB: 'limb' })).toBe('subsumed-by');
    expect(t.subsumes({ system: CS, codeA: 'arm', codeB: 'arm' })).toBe('equivalent');
    expect(t.subsumes({ system: CS, codeA: 'arm', codeB: 'head' })).toBe('not-subsumed');
  });

  it('$validate-code against value sets with filters, excludes and imports; undecidable stays undecided', () => {
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/arms', system: CS, code: 'left-arm' }).result).toBe(true);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/arms', system: CS, code: 'leg' }).result).toBe(false);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/below-limb', system: CS, code: 'limb' }).result).toBe(false);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/below-limb', system: CS, code: 'leg' }).result).toBe(false);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/below-limb', system: CS, code: 'left-leg' }).result).toBe(true);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/left', system: CS, code: 'left-leg' }).result).toBe(true);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/left', system: CS, code: 'right-arm' }).result).toBe(false);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/legs-regex', system: CS, code: 'left-leg' }).result).toBe(true);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/imports', codeableConcept: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] } }).result).toBe(true);
    expect(t.validateCode({ url: 'http://example.org/fhir/ValueSet/all-loinc', system: 'http://loinc.org', code: '8480-6' }).result).toBeUndefined();
    expect(t.validateCode({ system: CS, code: 'tail' })).toMatchObject({ result: false, message: expect.stringMatching(/Unknown code 'tail'/) });
    expect(t.validateCode({ system: CS, code: 'arm', display: 'Bras' }).message).toBeUndefined(); // a designation is a valid display
    expect(t.validateCode({ system: CS, code: 'arm', display: 'Leg' }).message).toMatch(/display/);
    expect(t.validateCode({ url: 'http://hl7.org/fhir/ValueSet/administrative-gender', code: 'other' }).result).toBe(true);
  });

  it('$expand: hierarchy, filter, paging, designations, excludes; refuses what it cannot expand', () => {
    const all = t.expand({ url: 'http://example.org/fhir/ValueSet/arms', now: new Date('2025-01-01T00:00:00Z') });
    expect(all.expansion).toMatchObject({ total: 3, timestamp: '2025-01-01T00:00:00.000Z' });
    const contains = (all.expansion as { contains: Array<{ code: string; contains?: Array<{ code: string }> }> }).contains;
    expect(contains.map((c) => c.code)).toEqual(['arm']);
    expect(contains[0].contains!.map((c) => c.code)).toEqual(['left-arm', 'right-arm']);
    const flat = t.expand({ url: 'http://example.org/fhir/ValueSet/below-limb', excludeNested: true });
    expect((flat.expansion as { contains: Array<{ code: string }> }).contains.map((c) => c.code)).toEqual(['arm', 'left-arm', 'right-arm', 'left-leg']);
    const filtered = t.expand({ url: 'http://example.org/fhir/ValueSet/below-limb', filter: 'left' });
    expect((filtered.expansion as { total: number }).total).toBe(2);
    const page = t.expand({ url: 'http://example.org/fhir/ValueSet/below-limb', count: 2, offset: 1 });
    expect(page.expansion).toMatchObject({ total: 4, offset: 1 });
    expect((page.expansion as { contains: Array<{ code: string }> }).contains.map((c) => c.code)).toEqual(['left-arm', 'right-arm']);
    const withDesignations = t.expand({ url: 'http://example.org/fhir/ValueSet/arms', includeDesignations: true, excludeNested: true });
    expect((withDesignations.expansion as { contains: Array<{ code: string; designation?: unknown[] }> }).contains[0].designation).toEqual([{ language: 'fr', value: 'Bras' }]);
    expect(() => t.expand({ url: 'http://example.org/fhir/ValueSet/all-loinc' })).toThrow(/not known to this server/);
    expect(() => t.expand({ url: 'http://example.org/fhir/ValueSet/none' })).toThrow(FhirError);
    // An R4 value set, expanded from R4's own code systems.
    const gender = t.expand({ url: 'http://hl7.org/fhir/ValueSet/administrative-gender' });
    expect((gender.expansion as { contains: Array<{ code: string }> }).contains.map((c) => c.code)).toEqual(['male', 'female', 'other', 'unknown']);
  });

  it('$translate forwards and in reverse; unmatched is no match', () => {
    expect(t.translate({ url: 'http://example.org/fhir/ConceptMap/site-to-side', system: CS, code: 'left-arm' })).toMatchObject({
      result: true,
      match: [{ equivalence: 'wider', concept: { system: 'http://example.org/side', code: 'L' } }],
    });
    expect(t.translate({ system: 'http://example.org/side', code: 'L', reverse: true }).match[0].concept).toMatchObject({ system: CS, code: 'left-arm' });
    expect(t.translate({ url: 'http://example.org/fhir/ConceptMap/site-to-side', system: CS, code: 'head' }).result).toBe(false);
    expect(t.translate({ url: 'http://example.org/fhir/ConceptMap/site-to-side', system: CS, code: 'leg' }).result).toBe(false);
  });

  it('answers with the latest content after a resource is replaced', () => {
    const registry = new ConformanceRegistry(coreSource);
    registry.add(codeSystem);
    const svc = new TerminologyService(registry);
    expect(svc.validateCode({ system: CS, code: 'tail' }).result).toBe(false);
    registry.add({ ...codeSystem, concept: [...codeSystem.concept, { code: 'tail', display: 'Tail' }] });
    expect(svc.validateCode({ system: CS, code: 'tail' }).result).toBe(true);
  });
});

describe('a large code system (a user-loaded release)', () => {
  const SIZE = 60000;
  const registry = new ConformanceRegistry(coreSource);
  const concepts = Array.from({ length: SIZE }, (_, n) => ({ code: `${n}-${n % 10}`, display: `Finding ${n}`, property: [{ code: 'parent', valueCode: n < 10 ? 'root' : `${Math.floor(n / 10)}-${Math.floor(n / 10) % 10}` }] }));
  registry.add({ resourceType: 'CodeSystem', url: 'http://example.org/big', status: 'active', content: 'complete', concept: [{ code: 'root', display: 'Root' }, ...concepts] });
  const t = new TerminologyService(registry);

  it('answers $lookup and $subsumes from the index', () => {
    expect(t.lookup({ system: 'http://example.org/big', code: '54321-1' }).display).toBe('Finding 54321');
    expect(t.subsumes({ system: 'http://example.org/big', codeA: '5-5', codeB: '54321-1' })).toBe('subsumes');
  });

  it(`refuses an expansion over ${MAX_EXPANSION} codes unless paged, and filters and is-a work within it`, () => {
    expect(() => t.expand({ url: 'http://example.org/big' })).toThrow(/count and offset/);
    const page = t.expand({ url: 'http://example.org/big', count: 10, offset: 50000 });
    expect(page.expansion).toMatchObject({ total: SIZE + 1, offset: 50000 });
    const filtered = t.expand({ url: 'http://example.org/big', filter: 'finding 5432' });
    // Each word must occur: 5432, 54320-54329, 15432, 25432, 35432, 45432, 55432.
    expect((filtered.expansion as { total: number }).total).toBe(16);
    const below = t.expand({
      valueSet: { resourceType: 'ValueSet', compose: { include: [{ system: 'http://example.org/big', filter: [{ property: 'concept', op: 'is-a', value: '5-5' }] }] } },
      count: 1,
    });
    // 5 → 50..59 → 500..599 → 5000..5999 → 50000..59999
    expect((below.expansion as { total: number }).total).toBe(1 + 10 + 100 + 1000 + 10000);
  });
});
