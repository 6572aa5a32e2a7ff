// The searches a patient portal needs on the provider directory (Practitioner, PractitionerRole,
// Organization, Location, HealthcareService), on both engines over real HTTP: by specialty,
// service type and category, language, name, organization, location, availability and distance,
// directly and through chains. Availability by weekday is this server's `available-day`
// SearchParameter (fhir-profiles/search-parameters/); bookable times come from Appointment/$find.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const SCT = 'http://snomed.info/sct';
const LANG = 'urn:ietf:bcp:47';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/service-category';
const TYPE = 'http://terminology.hl7.org/CodeSystem/service-type';
const CARDIOLOGY = { coding: [{ system: SCT, code: '394579002', display: 'Cardiology' }] };
const DERMATOLOGY = { coding: [{ system: SCT, code: '394582007', display: 'Dermatology' }] };
const lang = (code: string) => ({ coding: [{ system: LANG, code }] });

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIRECTORY: Json[] = [
  { resourceType: 'Organization', id: 'heart', name: 'Amsterdam Heart Clinic', active: true },
  { resourceType: 'Organization', id: 'skin', name: 'Rotterdam Skin Centre', active: true },
  { resourceType: 'Location', id: 'dam', name: 'Heart Clinic Dam Square', managingOrganization: { reference: 'Organization/heart' }, position: { latitude: 52.373, longitude: 4.893 } },
  { resourceType: 'Location', id: 'rot', name: 'Skin Centre Coolsingel', managingOrganization: { reference: 'Organization/skin' }, position: { latitude: 51.922, longitude: 4.479 } },
  { resourceType: 'Practitioner', id: 'jansen', name: [{ family: 'Jansen', given: ['Eva'] }], communication: [lang('nl'), lang('en')] },
  { resourceType: 'Practitioner', id: 'dupont', name: [{ family: 'Dupont', given: ['Luc'] }], communication: [lang('fr')] },
  {
    resourceType: 'PractitionerRole',
    id: 'jansen-cardio',
    practitioner: { reference: 'Practitioner/jansen' },
    organization: { reference: 'Organization/heart' },
    location: [{ reference: 'Location/dam' }],
    healthcareService: [{ reference: 'HealthcareService/cardio' }],
    specialty: [CARDIOLOGY],
    availableTime: [{ daysOfWeek: ['mon', 'tue', 'wed'], availableStartTime: '08:00:00', availableEndTime: '16:00:00' }],
  },
  {
    resourceType: 'PractitionerRole',
    id: 'dupont-derma',
    practitioner: { reference: 'Practitioner/dupont' },
    organization: { reference: 'Organization/skin' },
    location: [{ reference: 'Location/rot' }],
    specialty: [DERMATOLOGY],
    availableTime: [{ daysOfWeek: ['sat'] }],
  },
  {
    resourceType: 'HealthcareService',
    id: 'cardio',
    name: 'Cardiology outpatient clinic',
    active: true,
    providedBy: { reference: 'Organization/heart' },
    location: [{ reference: 'Location/dam' }],
    category: [{ coding: [{ system: CATEGORY, code: '35', display: 'Hospital' }] }],
    type: [{ coding: [{ system: TYPE, code: '165', display: 'Cardiology' }] }],
    specialty: [CARDIOLOGY],
    communication: [lang('nl'), lang('en')],
    availableTime: [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'] }],
  },
  {
    resourceType: 'HealthcareService',
    id: 'derma',
    name: 'Dermatology walk-in',
    active: true,
    providedBy: { reference: 'Organization/skin' },
    location: [{ reference: 'Location/rot' }],
    category: [{ coding: [{ system: CATEGORY, code: '35', display: 'Hospital' }] }],
    type: [{ coding: [{ system: TYPE, code: '168', display: 'Dermatology' }] }],
    specialty: [DERMATOLOGY],
    communication: [lang('fr')],
    availableTime: [{ daysOfWeek: ['sat'] }],
  },
];

describeEachEngine('directory search', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const r of DIRECTORY) {
      const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r);
      expect([r.id, res.status]).toEqual([r.id, 201]);
    }
  }, 60000);
  afterAll(() => t.close());

  const ids = async (query: string): Promise<string[]> => {
    const res = await t.http.get(`/fhir/${query}`);
    expect([query, res.status, res.body.resourceType]).toEqual([query, 200, 'Bundle']);
    return (res.body.entry ?? []).filter((e: Json) => e.search?.mode !== 'include').map((e: Json) => e.resource.id).sort();
  };

  it.each([
    // specialty
    ['PractitionerRole?specialty=http://snomed.info/sct|394579002', ['jansen-cardio']],
    ['HealthcareService?specialty=394582007', ['derma']],
    ['Practitioner?_has:PractitionerRole:practitioner:specialty=394579002', ['jansen']],
    // service type and category
    [`HealthcareService?service-type=${TYPE}|165`, ['cardio']],
    [`HealthcareService?service-category=${CATEGORY}|35`, ['cardio', 'derma']],
    ['PractitionerRole?service.service-type=168', []],
    ['PractitionerRole?service.service-type=165', ['jansen-cardio']],
    // language
    [`Practitioner?communication=${LANG}|nl`, ['jansen']],
    ['PractitionerRole?practitioner.communication=fr', ['dupont-derma']],
    [`HealthcareService?communication=${LANG}|en`, ['cardio']],
    // name
    ['Practitioner?name=jans', ['jansen']],
    ['Organization?name=amsterdam', ['heart']],
    ['Location?name:contains=coolsingel', ['rot']],
    ['HealthcareService?name=cardiology', ['cardio']],
    // organization and location
    ['PractitionerRole?organization=Organization/skin', ['dupont-derma']],
    ['PractitionerRole?organization.name=amsterdam', ['jansen-cardio']],
    ['HealthcareService?organization=Organization/heart', ['cardio']],
    ['Location?organization=Organization/heart', ['dam']],
    ['HealthcareService?location=Location/rot', ['derma']],
    ['PractitionerRole?location=Location/dam', ['jansen-cardio']],
    ['PractitionerRole?location.name=skin', ['dupont-derma']],
    // availability (weekday) — this server's SearchParameter
    ['HealthcareService?available-day=sat', ['derma']],
    ['HealthcareService?available-day=mon,sat', ['cardio', 'derma']],
    ['PractitionerRole?available-day=tue', ['jansen-cardio']],
    ['PractitionerRole?available-day=sun', []],
    // distance, directly and through chains
    ['Location?near=52.37|4.89|10|km', ['dam']],
    ['PractitionerRole?location.near=52.37|4.89|10|km&specialty=394579002', ['jansen-cardio']],
    ['PractitionerRole?location.near=52.37|4.89|10|km&specialty=394582007', []],
    ['HealthcareService?location.near=51.92|4.48|5&specialty=394582007', ['derma']],
    ['HealthcareService?location.near=51.92|4.48|100&service-type=165&communication=nl', ['cardio']],
  ])('%s', async (query, expected) => {
    expect(await ids(query as string)).toEqual(expected);
  });

  it('includes what a portal shows next to a role: practitioner, location and organization', async () => {
    const res = await t.http.get('/fhir/PractitionerRole?specialty=394579002&_include=PractitionerRole:practitioner&_include=PractitionerRole:location&_include=PractitionerRole:organization');
    expect(res.status).toBe(200);
    const found = (res.body.entry as Json[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(found).toEqual(['Location/dam', 'Organization/heart', 'Practitioner/jansen', 'PractitionerRole/jansen-cardio']);
  });

  it('a malformed chained near is a 400 OperationOutcome, not an empty page', async () => {
    const res = await t.http.get('/fhir/PractitionerRole?location.near=52.37|abc|10&specialty=394579002');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
