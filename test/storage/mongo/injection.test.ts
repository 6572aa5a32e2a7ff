// Injection through the REST API, on every engine: keys a document database could read as
// operators or paths are refused as invalid FHIR, and search values that look like query
// documents stay plain values (Express 5's simple query parser never builds objects).
import { describeEachEngine } from '../../support/engines';
import { makeTestServer, type TestServer } from '../../support/server';

describeEachEngine('injection through REST', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    await t.http.put('/fhir/Patient/safe').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'safe', name: [{ family: 'Safe' }] }).expect(201);
  });
  afterAll(async () => t.close());

  it.each([
    ['an operator key', { resourceType: 'Patient', $where: 'sleep(1000)' }],
    ['a nested operator key', { resourceType: 'Patient', name: [{ family: 'X', $set: { active: true } }] }],
    ['a dotted key', { resourceType: 'Patient', 'name.family': 'X' }],
    ['an operator inside an extension', { resourceType: 'Patient', extension: [{ url: 'http://x', valueString: 'a', $ne: null }] }],
  ])('refuses a resource with %s as invalid FHIR', async (_what, body) => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send(body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toMatch(/is not a FHIR element name/);
  });

  it('stores nothing for a refused resource', async () => {
    await t.http.put('/fhir/Patient/evil').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'evil', $where: '1' }).expect(400);
    await t.http.get('/fhir/Patient/evil').expect(404);
  });

  it.each(['name[$ne]=x', 'name=%7B%22%24ne%22%3Anull%7D', '_id[$gt]=', 'family=.*', 'family=%5E'])('treats the query %s as data, never as an operator', async (qs) => {
    const res = await t.http.get(`/fhir/Patient?${qs}`);
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) {
      const ids = (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
      expect(ids).not.toContain('safe');
    }
  });
});
