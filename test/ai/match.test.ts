// Patient/$match over HTTP on every engine: the blocking keys follow each Patient write (create,
// update, delete, transaction Bundles), the answer is a searchset with scores and match grades,
// best first, `onlyCertainMatches` and `count` behave as R4 says, and bad input is a 400.
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { MATCH_KEY_SYSTEM } from '../../src/search/derived';

const GRADE = 'http://hl7.org/fhir/StructureDefinition/match-grade';
const SSN = 'http://hl7.org/fhir/sid/us-ssn';
const MRN_TYPE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] };

function person(id: string, family: string, given: string, birthDate: string, extra: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    id,
    name: [{ use: 'official', family, given: [given] }],
    gender: 'female',
    birthDate,
    address: [{ line: [`${id.length * 7} Maple Street`], city: 'Northbridge', postalCode: '55412' }],
    telecom: [{ system: 'phone', value: '+1-612-555-0142' }],
    ...extra,
  };
}

const katherine = person('katherine', 'Johnson', 'Katherine', '1961-03-08', { identifier: [{ system: SSN, value: '999-12-3456' }, { type: MRN_TYPE, system: 'http://a.example.org/mrn', value: 'MRN001' }] });
// Namesakes: same name, another person (other birth date, other address and phone, own SSN).
const namesake = person('namesake', 'Johnson', 'Katherine', '1984-11-23', {
  identifier: [{ system: SSN, value: '999-55-1111' }],
  address: [{ line: ['12 Oak Avenue'], postalCode: '55301' }],
  telecom: [{ system: 'phone', value: '+1-651-555-9999' }],
});
const others = [
  person('robert', 'Smith', 'Robert', '1950-01-02', { identifier: [{ system: SSN, value: '999-01-0001' }] }),
  person('maria', 'García', 'María', '1990-07-15', { identifier: [{ system: SSN, value: '999-01-0002' }], address: [{ line: ['5 Elm Road'], postalCode: '55101' }] }),
];

function matchBody(resource: Patient, extra: Array<Record<string, unknown>> = []) {
  return { resourceType: 'Parameters', parameter: [{ name: 'resource', resource }, ...extra] };
}

function grades(bundle: Bundle): Array<[string, string, number]> {
  return (bundle.entry ?? [])
    .filter((e) => e.resource?.resourceType === 'Patient')
    .map((e) => [e.resource!.id!, e.search!.extension!.find((x) => x.url === GRADE)!.valueCode!, e.search!.score!]);
}

describeEachEngine('Patient/$match', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const p of [katherine, namesake, ...others]) expect((await t.http.put(`/fhir/Patient/${p.id}`).send(p)).status).toBe(201);
  });
  afterAll(() => t.close());

  const match = (body: unknown) => t.http.post('/fhir/Patient/$match').set('content-type', 'application/fhir+json').send(body as object);
  const byKey = async (key: string) => ((await t.http.get(`/fhir/Patient?match-key=${encodeURIComponent(`${MATCH_KEY_SYSTEM}|${key}`)}`)).body as Bundle).entry?.map((e) => e.resource!.id) ?? [];

  it('keeps the blocking keys in the database through create, update and delete', async () => {
    await t.http.put('/fhir/Patient/keys').send(person('keys', 'Whitfield', 'Ada', '1977-05-06'));
    expect(await byKey('fy:TFLT:1977')).toEqual(['keys']);
    await t.http.put('/fhir/Patient/keys').send(person('keys', 'Okafor', 'Ada', '1977-05-06'));
    expect(await byKey('fy:TFLT:1977')).toEqual([]);
    expect(await byKey('fy:AKFR:1977')).toEqual(['keys']);
    await t.http.delete('/fhir/Patient/keys');
    expect(await byKey('fy:AKFR:1977')).toEqual([]);
  });

  // A batch: FerretDB has no multi-document transactions, so transaction Bundles are refused there.
  it('keeps them for Patients written by a Bundle', async () => {
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ resource: person('ignored', 'Lindqvist', 'Ebba', '1999-09-09'), request: { method: 'POST', url: 'Patient' } }] };
    const res = await t.http.post('/fhir').set('content-type', 'application/fhir+json').send(bundle);
    expect(res.status).toBe(200);
    const id = /Patient\/([^/]+)/.exec((res.body as Bundle).entry![0].response!.location!)![1];
    expect(await byKey('gd:AP:1999-09-09')).toEqual([id]);
    await t.http.delete(`/fhir/Patient/${id}`);
  });

  it('finds a second registration (nickname, new MRN, no SSN) and ranks it above the namesake', async () => {
    const query = person('q', 'Johnson', 'Kate', '1961-03-08', { identifier: [{ type: MRN_TYPE, system: 'http://b.example.org/mrn', value: 'MRN900' }] });
    delete query.id;
    const res = await match(matchBody(query));
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const found = grades(bundle);
    expect(found[0][0]).toBe('katherine');
    expect(['certain', 'probable']).toContain(found[0][1]);
    for (const [, , score] of found) expect(score).toBeGreaterThanOrEqual(0), expect(score).toBeLessThanOrEqual(1);
    const scores = found.map((f) => f[2]);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(found.map((f) => f[0])).not.toContain('robert');
    const namesakeHit = found.find((f) => f[0] === 'namesake');
    if (namesakeHit) expect(namesakeHit[2]).toBeLessThan(found[0][2]);
    expect(bundle.entry![0].fullUrl).toMatch(/\/Patient\/katherine$/);
    expect(bundle.total).toBe(found.length);
  });

  it('answers certain for an identical identifier of one system, whatever else differs', async () => {
    const res = await match(matchBody({ resourceType: 'Patient', identifier: [{ system: SSN, value: '999123456' }], name: [{ family: 'Jonson', given: ['K'] }] }));
    expect(res.status).toBe(200);
    expect(grades(res.body as Bundle)[0]).toEqual(['katherine', 'certain', 1]);
  });

  it('with onlyCertainMatches returns the one certain match, and none when several are certain', async () => {
    const one = await match(matchBody({ resourceType: 'Patient', identifier: [{ system: SSN, value: '999-12-3456' }] }, [{ name: 'onlyCertainMatches', valueBoolean: true }]));
    expect(grades(one.body as Bundle).map((g) => g[1])).toEqual(['certain']);
    const query = structuredClone(katherine);
    delete query.id;
    query.identifier = [{ system: SSN, value: '999-12-3456' }, { system: SSN, value: '999-55-1111' }];
    const ambiguous = await match(matchBody(query, [{ name: 'onlyCertainMatches', valueBoolean: true }]));
    const bundle = ambiguous.body as Bundle;
    expect(grades(bundle)).toEqual([]);
    expect(bundle.entry?.find((e) => e.search?.mode === 'outcome')?.resource).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('returns at most count matches', async () => {
    const query = structuredClone(katherine);
    delete query.id;
    query.identifier = [{ system: SSN, value: '999-12-3456' }, { system: SSN, value: '999-55-1111' }];
    const res = await match(matchBody(query, [{ name: 'count', valueInteger: 1 }]));
    expect(grades(res.body as Bundle)).toHaveLength(1);
  });

  it('answers an empty searchset when nobody matches', async () => {
    const res = await match(matchBody({ resourceType: 'Patient', name: [{ family: 'Zzyzx', given: ['Quentin'] }], birthDate: '2001-01-01' }));
    expect(res.status).toBe(200);
    expect(grades(res.body as Bundle)).toEqual([]);
  });

  it('refuses what it cannot match on, with an OperationOutcome saying why', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [matchBody({ resourceType: 'Patient', gender: 'male' }), /too little to match on/],
      [{ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } }] }, /needs a Patient/],
      [matchBody(katherine, [{ name: 'count', valueInteger: 0 }]), /count/],
      [matchBody(katherine, [{ name: 'count', valueInteger: 1000 }]), /at most/],
      [{ resourceType: 'Parameters', parameter: [] }, /resource/],
    ];
    for (const [body, why] of cases) {
      const res = await match(body);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body)).toMatch(why);
    }
    // Malformed shapes in the posted Patient are matched on what is usable, never a 500.
    const odd = await match(matchBody({ resourceType: 'Patient', name: 'Katherine' as never, identifier: [null as never, { system: SSN, value: '999-12-3456', type: { coding: 'MR' as never } }], address: [{ line: 'x' as never }], telecom: [{ system: 'phone', value: 5 as never }] }));
    expect(odd.status).toBe(200);
    expect(grades(odd.body as Bundle)[0]).toEqual(['katherine', 'certain', 1]);
    // A Patient cannot travel in a URL: GET is refused with the way to call it.
    const get = await t.http.get('/fhir/Patient/$match');
    expect(get.status).toBe(405);
    expect(JSON.stringify(get.body)).toMatch(/POST a Parameters resource/);
  });
});
