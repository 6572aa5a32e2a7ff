// $validate (R4 Resource-validate): the write validator's verdict without writing, in every mode.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const params = (...parameter: object[]) => ({ resourceType: 'Parameters', parameter });

describeEachEngine('$validate', (factory) => {
  let t: TestServer;
  let id: string;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    id = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient' })).body.id;
  });
  afterAll(() => t.close());
  const post = (url: string, body: unknown) => t.http.post(url).set('Content-Type', FHIR).send(JSON.stringify(body));

  it('answers 200 with every issue the write path would raise, and writes nothing', async () => {
    const bad = { resourceType: 'Patient', gender: 'unknown-ish', birthDate: '2023-02-31', colour: 'red' };
    const res = await post('/fhir/Patient/$validate', params({ name: 'resource', resource: bad }));
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const asWrite = await post('/fhir/Patient', bad);
    expect(asWrite.status).toBe(400);
    expect(res.body.issue).toEqual(asWrite.body.issue);
    expect((await t.http.get('/fhir/Patient?_summary=count')).body.total).toBe(1);
  });

  it('reports the reference rules of the write path too', async () => {
    const bad = { resourceType: 'Patient', managingOrganization: { reference: `Organization/${'x'.repeat(65)}` } };
    const res = await post('/fhir/Patient/$validate', params({ name: 'resource', resource: bad }));
    expect(res.status).toBe(200);
    const asWrite = await post('/fhir/Patient', bad);
    expect(asWrite.status).toBe(400);
    expect(res.body.issue).toEqual(asWrite.body.issue);
    expect(res.body.issue[0].expression).toEqual(['Patient.managingOrganization.reference']);
  });

  it('says so when there is nothing wrong, and accepts the bare resource as the body', async () => {
    for (const res of [await post('/fhir/Patient/$validate', { resourceType: 'Patient', gender: 'male' }), await post('/fhir/Patient/$validate?mode=create', { resourceType: 'Patient' })]) {
      expect(res.status).toBe(200);
      expect(res.body.issue).toEqual([{ severity: 'information', code: 'informational', diagnostics: 'No issues: the resource is valid' }]);
    }
  });

  it('checks update and delete at the instance level only', async () => {
    const update = await post(`/fhir/Patient/${id}/$validate`, params({ name: 'mode', valueCode: 'update' }, { name: 'resource', resource: { resourceType: 'Patient', id: 'other' } }));
    expect(update.body.issue[0]).toMatchObject({ severity: 'error', expression: ['Patient.id'] });
    expect((await post(`/fhir/Patient/${id}/$validate`, params({ name: 'mode', valueCode: 'update' }, { name: 'resource', resource: { resourceType: 'Patient', id } }))).body.issue[0].severity).toBe('information');
    expect((await post(`/fhir/Patient/${id}/$validate`, params({ name: 'mode', valueCode: 'delete' }))).body.issue[0].diagnostics).toMatch(/may be deleted/);
    const typeLevel = await post('/fhir/Patient/$validate', params({ name: 'mode', valueCode: 'delete' }));
    expect([typeLevel.status, typeLevel.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'mode': delete can only be used at the instance level/)]);
    const badMode = await post('/fhir/Patient/$validate', params({ name: 'mode', valueCode: 'merge' }, { name: 'resource', resource: { resourceType: 'Patient' } }));
    expect([badMode.status, badMode.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'mode': 'merge' is not one of create, update, delete/)]);
  });

  it('refuses a call that cannot be made: no resource, or a resource of another type', async () => {
    const none = await post('/fhir/Patient/$validate', params());
    expect([none.status, none.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'resource': is required/)]);
    const other = await post('/fhir/Patient/$validate', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect([other.status, other.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/is a Observation, but \$validate was invoked on Patient/)]);
    // GET is allowed (mode=delete needs no resource), but a resource cannot travel in a URL.
    const viaGet = await t.http.get('/fhir/Patient/$validate');
    expect([viaGet.status, viaGet.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'resource': is required/)]);
    expect((await t.http.get(`/fhir/Patient/${id}/$validate?mode=delete`)).status).toBe(200);
  });

  it('validates against a profile the server knows', async () => {
    const profile = 'http://nimbus-fhir.org/fhir/StructureDefinition/nimbus-patient';
    const without = await post(`/fhir/Patient/$validate?profile=${profile}`, { resourceType: 'Patient', gender: 'female', birthDate: '1970', name: [{ family: 'X' }] });
    expect(without.body.issue.some((i: { severity: string; expression?: string[] }) => i.severity === 'error' && /identifier/.test((i.expression ?? []).join()))).toBe(true);
    const mrn = { system: 'urn:hospital:mrn', value: '123', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } };
    const conforming = await post(`/fhir/Patient/$validate?profile=${profile}`, { resourceType: 'Patient', identifier: [mrn], gender: 'female', birthDate: '1970', name: [{ family: 'X' }] });
    expect(conforming.body.issue.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
  });

  it('reports a profile it cannot validate against, never silently passing', async () => {
    const res = await post('/fhir/Patient/$validate?profile=http://example.org/StructureDefinition/unknown', { resourceType: 'Patient' });
    expect(res.status).toBe(200);
    expect(res.body.issue).toEqual([expect.objectContaining({ severity: 'error', code: 'not-found', diagnostics: expect.stringMatching(/profile http:\/\/example.org\/StructureDefinition\/unknown is not known/) })]);
  });
});
