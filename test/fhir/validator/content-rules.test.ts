// R4 rules that no StructureDefinition carries as an invariant (content-rules.ts), the R4 invariant
// corrections, and the reference validator's optional switches (security checks, HTML in markdown,
// example URLs).
import { ids, makeValidator, profile } from './support';

const v = makeValidator();
const obs = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'weight' }, ...extra });

describe('validator: content rules of R4 outside the definitions', () => {
  it('urn:uuid values are lowercase UUIDs and urn:oid values are OIDs', () => {
    const ok = 'urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a1';
    expect(v.errors({ resourceType: 'ValueSet', status: 'active', url: ok })).toEqual([]);
    expect(ids(v.errors({ resourceType: 'ValueSet', status: 'active', url: ok.toUpperCase().replace('URN:UUID:', 'urn:uuid:') }))).toEqual(['URI_INVALID']);
    expect(ids(v.errors({ resourceType: 'ValueSet', status: 'active', url: 'urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a' }))).toEqual(['URI_INVALID']);
    expect(v.errors({ resourceType: 'ValueSet', status: 'active', url: 'urn:oid:2.16.840.1.113883.4.642.3.1' })).toEqual([]);
    expect(ids(v.errors({ resourceType: 'ValueSet', status: 'active', url: 'urn:oid:X.Y.Z' }))).toEqual(['URI_INVALID']);
  });

  it('canonical URLs of conformance resources and ValueSet include.system are absolute', () => {
    expect(ids(v.errors({ resourceType: 'ValueSet', status: 'active', url: 'ValueSet/local' }))).toEqual(['CANONICAL_NOT_ABSOLUTE']);
    const vs = (system: string) => ({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system }] } });
    expect(v.errors(vs('http://example.org/cs'))).toEqual([]);
    expect(ids(v.errors(vs('#cs1')))).toEqual(['CODING_SYSTEM_INVALID']);
  });

  it('Coding.system names a code system: absolute, not a value set, not a supplement', () => {
    const coded = (system: string) => obs({ code: { coding: [{ system, code: 'x' }] } });
    expect(ids(v.errors(coded('Location1')))).toEqual(['CODING_SYSTEM_INVALID']);
    expect(ids(v.errors(coded('http://hl7.org/fhir/ValueSet/observation-codes')))).toEqual(['CODING_SYSTEM_INVALID']);
    expect(v.errors(coded('http://example.org/local-codes'))).toEqual([]);
    const supplement = { resourceType: 'CodeSystem', url: 'http://example.org/cs-supplement', status: 'active', content: 'supplement', supplements: 'http://example.org/base-cs' };
    const withSupplement = makeValidator([supplement as never]);
    expect(ids(withSupplement.errors(coded('http://example.org/cs-supplement')))).toEqual(['CODING_SYSTEM_INVALID']);
  });

  it('a supplement has content supplement and defines no codes of its own', () => {
    const base = { resourceType: 'CodeSystem', url: 'http://example.org/base-cs', status: 'active', content: 'complete', concept: [{ code: 'a' }] };
    const w = makeValidator([base as never]);
    const supp = (content: string, code: string) => ({ resourceType: 'CodeSystem', url: 'http://example.org/supp', status: 'active', content, supplements: 'http://example.org/base-cs', concept: [{ code, designation: [{ value: 'A' }] }] });
    expect(w.errors(supp('supplement', 'a'))).toEqual([]);
    expect(ids(w.errors(supp('complete', 'a')))).toEqual(['CODESYSTEM_SUPPLEMENT']);
    expect(ids(w.errors(supp('supplement', 'zz')))).toEqual(['CODESYSTEM_SUPPLEMENT']);
  });

  it('CodeSystem properties: codes and URIs once each, the types of the standard concept properties', () => {
    const cs = (property: unknown[]) => ({ resourceType: 'CodeSystem', status: 'active', content: 'not-present', property });
    expect(v.errors(cs([{ code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'boolean' }]))).toEqual([]);
    expect(ids(v.errors(cs([{ code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'dateTime' }])))).toEqual(['CODESYSTEM_PROPERTY']);
    // A repeated code or URI is a warning: R4's own SNOMED CT example repeats both.
    const repeated = v.validate(cs([{ code: 'p', type: 'string' }, { code: 'p', type: 'code' }]));
    expect(repeated.filter((i) => i.messageId === 'CODESYSTEM_PROPERTY').map((i) => i.severity)).toEqual(['warning']);
  });

  it('Attachment.size is the size of the decoded data', () => {
    const media = (size: number) => ({ resourceType: 'Media', status: 'completed', content: { contentType: 'text/plain', data: 'aGVscCBpJ20gYSBidWc=', size } });
    expect(v.errors(media(14))).toEqual([]);
    expect(ids(v.errors(media(100)))).toEqual(['ATTACHMENT_SIZE']);
  });

  it('a Bundle names each paging link relation once', () => {
    const bundle = (rels: string[]) => ({ resourceType: 'Bundle', type: 'searchset', link: rels.map((relation) => ({ relation, url: `http://example.org/fhir/Patient?page=${relation}` })) });
    expect(v.errors(bundle(['self', 'next']))).toEqual([]);
    expect(ids(v.errors(bundle(['self', 'next', 'self'])))).toEqual(['BUNDLE_LINK_REPEATED']);
  });

  it('Resource.id carries no extensions', () => {
    expect(ids(v.errors({ resourceType: 'Patient', id: 'p1', _id: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] } }))).toEqual(['ID_EXTENSION']);
  });

  it('QuestionnaireResponse.questionnaire must not name another kind of resource', () => {
    const qr = { resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'http://hl7.org/fhir/ValueSet/administrative-gender' };
    expect(ids(v.errors(qr))).toEqual(['CANONICAL_WRONG_TYPE']);
  });

  it('per-1: a start that cannot be shown to precede the end (same day, different precision) fails', () => {
    const enc = (start: string, end: string) => ({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start, end } });
    expect(v.errors(enc('2023-06-20', '2023-06-21T06:20:00Z'))).toEqual([]);
    expect(v.errors(enc('2023-06-21T01:00:00Z', '2023-06-21T06:20:00Z'))).toEqual([]);
    expect(ids(v.errors(enc('2023-06-21', '2023-06-21T06:20:00Z')))).toEqual(['INVARIANT']);
    expect(ids(v.errors(enc('2023-06-22', '2023-06-21T06:20:00Z')))).toEqual(['INVARIANT']);
  });

  it('que-12 is read as its text says (more than one enableWhen needs enableBehavior), both evaluation paths', () => {
    const q = (enableBehavior?: string) => ({
      resourceType: 'Questionnaire',
      status: 'active',
      item: [
        { linkId: 'a', type: 'boolean' },
        { linkId: 'b', type: 'boolean' },
        { linkId: 'c', type: 'string', ...(enableBehavior ? { enableBehavior } : {}), enableWhen: [{ question: 'a', operator: '=', answerBoolean: true }, { question: 'b', operator: '=', answerBoolean: true }] },
      ],
    });
    for (const w of [v, makeValidator([], { fastInvariants: false })]) {
      expect(w.errors(q('all'))).toEqual([]);
      expect(w.errors(q()).map((i) => i.diagnostics).join()).toMatch(/que-12/);
    }
  });

  it('optional switches: HTML in strings, HTML in markdown, example URLs', () => {
    const pat = { resourceType: 'Patient', name: [{ text: 'Standard <script>alert(1)</script>' }] };
    expect(v.errors(pat)).toEqual([]);
    expect(ids(makeValidator([], { securityChecks: true }).errors(pat))).toEqual(['STRING_HTML']);
    expect(makeValidator([], { securityChecks: true }).errors({ resourceType: 'Patient', name: [{ text: 'a < b > c' }] })).toEqual([]);
    const note = obs({ note: [{ text: 'use <resource type>/<id>' }] });
    expect(v.errors(note)).toEqual([]);
    expect(ids(makeValidator([], { noHtmlInMarkdown: true }).errors(note))).toEqual(['MARKDOWN_HTML']);
    expect(makeValidator([], { noHtmlInMarkdown: true }).errors(obs({ note: [{ text: 'a \\< b, 3 < 4' }] }))).toEqual([]);
    const media = { resourceType: 'Media', status: 'completed', content: { url: 'http://repository.example.org/fhir/Binary/1' } };
    expect(v.errors(media)).toEqual([]);
    expect(ids(makeValidator([], { allowExampleUrls: false }).errors(media))).toEqual(['EXAMPLE_URL']);
  });
});

describe('validator: minValue/maxValue across units and relative to now', () => {
  it('a UCUM bound in kg applies to a value in g or mg (same dimension); other units are not compared', () => {
    const p = profile('obs-weight-bounds', 'Observation', [
      { id: 'Observation.value[x]', path: 'Observation.value[x]', type: [{ code: 'Quantity' }] },
      { id: 'Observation.value[x]:valueQuantity', path: 'Observation.valueQuantity', sliceName: 'valueQuantity', minValueQuantity: { value: 0.5, system: 'http://unitsofmeasure.org', code: 'kg' }, maxValueQuantity: { value: 2, system: 'http://unitsofmeasure.org', code: 'kg' } },
    ]);
    const w = makeValidator([p]);
    const url = p.url as string;
    const weigh = (value: number, code: string) => obs({ valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code } });
    expect(w.errors(weigh(800, 'g'), { profiles: [url] })).toEqual([]);
    expect(ids(w.errors(weigh(300, 'g'), { profiles: [url] }))).toEqual(['VALUE_OUT_OF_RANGE']);
    expect(ids(w.errors(weigh(2500000, 'mg'), { profiles: [url] }))).toEqual(['VALUE_OUT_OF_RANGE']);
    expect(w.errors(weigh(3, 'L'), { profiles: [url] })).toEqual([]);
  });

  it('minValueDuration/maxValueDuration on a date: that long before/after now', () => {
    const p = profile('patient-born-recently', 'Patient', [{ id: 'Patient.birthDate', path: 'Patient.birthDate', minValueDuration: { value: 100, code: 'a', system: 'http://unitsofmeasure.org' }, maxValueDuration: { value: 10, code: 'a', system: 'http://unitsofmeasure.org' } }]);
    const w = makeValidator([p]);
    const born = (birthDate: string) => w.errors({ resourceType: 'Patient', birthDate }, { profiles: [p.url as string] });
    expect(born('1990-05-01')).toEqual([]);
    expect(ids(born('1850-01-01'))).toEqual(['VALUE_OUT_OF_RANGE']);
    expect(ids(born(`${new Date().getUTCFullYear() + 20}-01-01`))).toEqual(['VALUE_OUT_OF_RANGE']);
  });
});

describe('validator: SearchParameter derivation and CapabilityStatement search parameters', () => {
  const sp = (type: string, base: string[]) => ({ resourceType: 'SearchParameter', url: 'http://example.org/SearchParameter/org-name', name: 'orgName', status: 'active', description: 'x', code: 'name', derivedFrom: 'http://hl7.org/fhir/SearchParameter/Organization-name', base, type, expression: 'Organization.name' });

  it('a derived parameter keeps the type and the bases of the one it derives from', () => {
    expect(v.errors(sp('string', ['Organization']))).toEqual([]);
    expect(ids(v.errors(sp('token', ['Organization'])))).toEqual(['SEARCHPARAMETER_DERIVATION']);
    expect(ids(v.errors(sp('string', ['Patient'])))).toEqual(['SEARCHPARAMETER_DERIVATION']);
  });

  it('a CapabilityStatement searchParam has the type of its definition', () => {
    const cap = (type: string) => ({
      resourceType: 'CapabilityStatement', status: 'active', date: '2024-01-01', kind: 'instance', implementation: { description: 'test server' }, fhirVersion: '4.0.1', format: ['json'],
      rest: [{ mode: 'server', resource: [{ type: 'AllergyIntolerance', searchParam: [{ name: 'clinical-status', definition: 'http://hl7.org/fhir/SearchParameter/AllergyIntolerance-clinical-status', type }] }] }],
    });
    expect(v.errors(cap('token'))).toEqual([]);
    expect(ids(v.errors(cap('date')))).toEqual(['SEARCHPARAMETER_DERIVATION']);
  });
});

describe('validator: ValueSet filters on a code system the server holds', () => {
  const cs = {
    resourceType: 'CodeSystem', url: 'http://example.org/cs-props', status: 'active', content: 'complete', hierarchyMeaning: 'is-a',
    property: [{ code: 'related', type: 'Coding' }, { code: 'rank', type: 'integer' }],
    concept: [{ code: 'root', concept: [{ code: 'leaf' }] }],
  };
  const w = makeValidator([cs as never]);
  const vs = (filter: Record<string, string>) => ({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://example.org/cs-props', filter: [filter] }] } });

  it('a Coding property takes system(|version)#code naming an existing code', () => {
    expect(w.errors(vs({ property: 'related', op: '=', value: 'http://example.org/cs-props#leaf' }))).toEqual([]);
    expect(ids(w.errors(vs({ property: 'related', op: '=', value: 'leaf' })))).toEqual(['VALUESET_FILTER']);
    expect(ids(w.errors(vs({ property: 'related', op: '=', value: 'http://example.org/cs-props#nope' })))).toEqual(['VALUESET_FILTER']);
  });

  it('a hierarchy filter names an existing concept', () => {
    expect(w.errors(vs({ property: 'concept', op: 'is-a', value: 'root' }))).toEqual([]);
    expect(ids(w.errors(vs({ property: 'concept', op: 'is-a', value: 'nope' })))).toEqual(['VALUESET_FILTER']);
  });
});

describe('validator: isDistinct invariants evaluated natively (linear time) give the verdicts of fhirpath.js', () => {
  const slow = makeValidator([], { fastInvariants: false });
  const invariantIds = (w: ReturnType<typeof makeValidator>, r: unknown) => w.validate(r).filter((i) => i.messageId === 'INVARIANT').map((i) => i.diagnostics.slice(0, 40)).sort();
  const cs = (codes: string[][]) => ({ resourceType: 'CodeSystem', status: 'active', content: 'complete', concept: codes.map(([c, ...kids]) => ({ code: c, ...(kids.length ? { concept: kids.map((k) => ({ code: k })) } : {}) })) });
  const q = (ids: string[]) => ({ resourceType: 'Questionnaire', status: 'active', item: [{ linkId: ids[0], type: 'group', item: ids.slice(1).map((linkId) => ({ linkId, type: 'string' })) }] });
  const bundle = (urls: string[]) => ({ resourceType: 'Bundle', type: 'collection', entry: urls.map((fullUrl, i) => ({ fullUrl, resource: { resourceType: 'Basic', id: `b${i}`, code: { text: 'x' } } })) });
  const cases: Array<[string, unknown, boolean]> = [
    ['csd-1 distinct', cs([['a', 'b'], ['c']]), true],
    ['csd-1 repeated in a child', cs([['a', 'b'], ['b']]), false],
    ['que-2 distinct', q(['g', 'q1', 'q2']), true],
    ['que-2 repeated', q(['g', 'q1', 'g']), false],
    ['bdl-7 distinct', bundle(['urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a1', 'urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a2']), true],
    ['bdl-7 repeated', bundle(['urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a1', 'urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a1']), false],
  ];
  it.each(cases)('%s', (_name, resource, ok) => {
    const fast = invariantIds(v, resource);
    expect(fast).toEqual(invariantIds(slow, resource));
    expect(fast.length === 0).toBe(ok);
  });

  it('a CodeSystem of 12,000 concepts is validated (csd-1 no longer compares every pair)', () => {
    const concept = Array.from({ length: 1200 }, (_, i) => ({ code: `c${i}`, concept: Array.from({ length: 9 }, (_, j) => ({ code: `c${i}-${j}` })) }));
    const big = { resourceType: 'CodeSystem', url: 'http://example.org/big', status: 'active', content: 'complete', concept };
    expect(v.errors(big)).toEqual([]);
    concept[5].concept[3].code = 'c7';
    expect(v.errors(big).map((i) => i.diagnostics).join()).toMatch(/csd-1/);
  });
});

describe('validator: search result Bundles', () => {
  const searchset = (self: string, entries: Array<[Record<string, unknown>, string?]>) => ({
    resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'self', url: self }],
    entry: entries.map(([resource, mode]) => ({ resource, ...(mode ? { search: { mode } } : {}) })),
  });
  const pat = { resourceType: 'Patient', id: 'p1' };
  const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] };

  it('accepts matches of the searched type with ids, includes, and outcomes', () => {
    expect(v.errors(searchset('http://example.org/fhir/Patient?name=x', [[pat, 'match'], [{ resourceType: 'Organization', id: 'o1', name: 'Acme' }, 'include'], [outcome, 'outcome']]))).toEqual([]);
    expect(v.errors(searchset('http://example.org/fhir?_type=Patient,Group', [[pat, 'match']]))).toEqual([]);
    expect(v.errors(searchset('http://example.org/fhir/Patient', [[outcome]]))).toEqual([]);
  });

  it('refuses an outcome that is not an OperationOutcome, a result without id, a match of another type', () => {
    expect(ids(v.errors(searchset('http://example.org/fhir/Patient?name=x', [[pat, 'outcome']])))).toEqual(['SEARCHSET_ENTRY']);
    expect(ids(v.errors(searchset('http://example.org/fhir/Patient?name=x', [[{ resourceType: 'Patient' }, 'match']])))).toEqual(['SEARCHSET_ENTRY']);
    expect(ids(v.errors(searchset('http://example.org/fhir/Patient?name=x', [[{ resourceType: 'Group', id: 'g', type: 'person', actual: true }, 'match']])))).toEqual(['SEARCHSET_ENTRY']);
  });
});

describe('validator: choice answers take the types of R4 answerOption values', () => {
  const q = { resourceType: 'Questionnaire', id: 'q', url: 'http://example.org/Questionnaire/choices', status: 'active', item: [
    { linkId: 'free', type: 'choice' },
    { linkId: 'opts', type: 'choice', answerOption: [{ valueString: 'red' }, { valueString: 'blue' }] },
  ] };
  const w = makeValidator([q as never]);
  const qr = (linkId: string, answer: Record<string, unknown>) => ({ resourceType: 'QuestionnaireResponse', status: 'in-progress', questionnaire: 'http://example.org/Questionnaire/choices', item: [{ linkId, answer: [answer] }] });

  it('a string, integer, date, time, Coding or Reference; an option when options are given', () => {
    expect(w.errors(qr('free', { valueString: 'anything' }))).toEqual([]);
    expect(w.errors(qr('free', { valueCoding: { system: 'http://example.org/cs', code: 'a' } }))).toEqual([]);
    expect(ids(w.errors(qr('free', { valueBoolean: true })))).toEqual(['QUESTIONNAIRE_ANSWER_TYPE']);
    expect(w.errors(qr('opts', { valueString: 'red' }))).toEqual([]);
    expect(ids(w.errors(qr('opts', { valueString: 'green' })))).toEqual(['QUESTIONNAIRE_OPTION']);
  });
});
