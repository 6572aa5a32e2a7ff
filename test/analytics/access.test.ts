// The analytics operations read through the one door: under a policy that narrows Observations to
// one patient's, $everything, $lastn, $stats/$population-stats, $evaluate-measure and $export see
// only those — and an unrestricted caller sees everything, so a path around the door would fail.
import { ANONYMOUS, type Caller } from '../../src/access/caller';
import { openPolicy, policyOf, type AccessPolicy } from '../../src/access/policy';
import type { IncomingMessage } from 'node:http';
import type { Resource } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { store } from './load';

jest.setTimeout(300_000);

const narrowed: Caller = { kind: 'user', fhirUser: 'Patient/a', patient: 'a' };
const ONLY_A: AccessPolicy = policyOf((type) => (type === 'Observation' ? { allowed: true, where: [{ kind: 'reference', param: 'subject', type: 'Patient', id: 'a' }] } : { allowed: true, where: [] }));
// By who the caller is, not by object: a job's caller comes back from the database as a copy.
const policyFor = (caller: Caller) => (caller.fhirUser === narrowed.fhirUser ? ONLY_A : openPolicy);
const authenticate = (req: IncomingMessage) => (req.headers['x-test-caller'] === 'narrowed' ? narrowed : ANONYMOUS);

const weight = (id: string, patient: string, value: number, day: number): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, subject: { reference: `Patient/${patient}` }, effectiveDateTime: `2025-01-0${day}T10:00:00Z`, valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } }) as Resource;
const resources: Resource[] = [
  { resourceType: 'Patient', id: 'a', gender: 'female', birthDate: '1980-01-01' } as Resource,
  { resourceType: 'Patient', id: 'b', gender: 'female', birthDate: '1980-01-01' } as Resource,
  weight('a1', 'a', 60, 1),
  weight('a2', 'a', 62, 2),
  weight('b1', 'b', 90, 1),
  weight('b2', 'b', 92, 2),
  weight('b3', 'b', 94, 3),
];

describeEachEngine('analytics through the door', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms' }, overrides: { policyFor, authenticate } });
    await store(t.server, resources);
    await t.http.put('/fhir/Measure/weighed').set('Content-Type', 'application/fhir+json').send({
      resourceType: 'Measure', id: 'weighed', status: 'active',
      scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' }] },
      group: [{ population: [
        { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'initial-population' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?' } },
        { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'numerator' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?_has:Observation:subject:code=http://loinc.org|29463-7' } },
      ] }],
    });
  });
  afterAll(() => t.close());

  const get = (who: string, url: string) => t.http.get(url).set('X-Test-Caller', who);
  const ids = (b: { entry?: Array<{ resource: { resourceType: string; id: string } }> }) => (b.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  const part = (body: { parameter: Array<{ name: string; resource?: { component: Array<{ code: { coding: Array<{ code: string }> }; valueInteger?: number }> } }> }) =>
    body.parameter.find((p) => p.name === 'statistics')!.resource!.component.find((c) => c.code.coding[0].code === 'count')!.valueInteger;

  for (const [who, seesB] of [['admin', true], ['narrowed', false]] as const) {
    it(`${who}: every analytics operation sees ${seesB ? 'every' : 'only patient a’s'} Observations`, async () => {
      expect(ids((await get(who, '/fhir/Patient/b/$everything')).body)).toEqual(seesB ? ['Observation/b1', 'Observation/b2', 'Observation/b3', 'Patient/b'] : ['Patient/b']);
      expect(ids((await get(who, '/fhir/Observation/$lastn?max=5')).body)).toEqual(seesB ? ['Observation/a1', 'Observation/a2', 'Observation/b1', 'Observation/b2', 'Observation/b3'] : ['Observation/a1', 'Observation/a2']);
      expect(part((await get(who, '/fhir/Observation/$stats?subject=Patient/b&system=http://loinc.org&code=29463-7&statistic=count')).body)).toBe(seesB ? 3 : 0);
      expect(part((await get(who, '/fhir/Observation/$population-stats?system=http://loinc.org&code=29463-7&statistic=count')).body)).toBe(seesB ? 5 : 2);
      const report = (await get(who, '/fhir/Measure/weighed/$evaluate-measure?periodStart=2025-01-01&periodEnd=2025-12-31')).body;
      expect(report.group[0].population.find((p: { code: { coding: Array<{ code: string }> } }) => p.code.coding[0].code === 'numerator').count).toBe(seesB ? 2 : 1);
      const kick = await get(who, '/fhir/Patient/$export?_type=Observation').set('Prefer', 'respond-async');
      const status = kick.headers['content-location'].replace(/^https?:\/\/[^/]+/, '');
      let poll = await get(who, status);
      for (let i = 0; i < 2000 && poll.status === 202; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        poll = await get(who, status);
      }
      expect(poll.body.output.reduce((n: number, o: { count: number }) => n + o.count, 0)).toBe(seesB ? 5 : 2);
    });
  }
});
