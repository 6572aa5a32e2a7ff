// Concurrent writers of one resource over HTTP, on every engine: without If-Match each update
// becomes the next version (none is lost, none is refused), however many writers there are; with
// a stale If-Match the client gets its 412; concurrent conditional creates and updates with the
// same criteria create exactly one resource.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const WRITERS = 50;
const CONDITIONAL = 20;
const FHIR_JSON = 'application/fhir+json';

describeEachEngine('concurrent writes over HTTP', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());

  const put = (body: Record<string, unknown>, ifMatch?: string) => {
    const req = t.http.put('/fhir/Patient/hot').set('Content-Type', FHIR_JSON);
    return (ifMatch ? req.set('If-Match', ifMatch) : req).send({ resourceType: 'Patient', id: 'hot', ...body });
  };
  const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value }], ...extra });
  const count = async (criteria: string) => (await t.http.get(`/fhir/Patient?${criteria}&_total=accurate&_summary=count`)).body.total as number;

  it(`applies ${WRITERS} concurrent updates without If-Match as the next versions, in a linear history`, async () => {
    expect((await put({ active: false })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, i) => put({ active: true, birthDate: `2000-01-${String((i % 28) + 1).padStart(2, '0')}` })));
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 2));
    const history = await t.http.get('/fhir/Patient/hot/_history?_count=100');
    expect(history.body.total).toBe(WRITERS + 1);
    // The current version is the one the last acknowledged writer wrote.
    const last = results.find((r) => r.body.meta.versionId === String(WRITERS + 1))!;
    expect((await t.http.get('/fhir/Patient/hot')).body.birthDate).toBe(last.body.birthDate);
  }, 120_000);

  it('answers a stale If-Match with 412 instead of retrying it', async () => {
    const res = await put({ active: false }, 'W/"1"');
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it(`creates exactly one resource for ${CONDITIONAL} concurrent conditional creates with the same criteria`, async () => {
    const criteria = 'identifier=urn:mrn|race-create';
    const results = await Promise.all(
      Array.from({ length: CONDITIONAL }, () => t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', criteria).send(patient('race-create'))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(CONDITIONAL - 1);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await count(criteria)).toBe(1);
  }, 120_000);

  it(`creates exactly one resource for ${CONDITIONAL} concurrent conditional updates that match nothing, then updates it`, async () => {
    const criteria = 'identifier=urn:mrn|race-update';
    const results = await Promise.all(
      Array.from({ length: CONDITIONAL }, (_, i) => t.http.put(`/fhir/Patient?${criteria}`).set('Content-Type', FHIR_JSON).send(patient('race-update', { gender: i % 2 ? 'male' : 'female' }))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(CONDITIONAL - 1);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await count(criteria)).toBe(1);
    const history = await t.http.get(`/fhir/Patient/${results[0].body.id}/_history?_count=100`);
    expect(history.body.total).toBe(CONDITIONAL);
  }, 120_000);

  it('creates exactly one resource for concurrent batch entries with the same If-None-Exist', async () => {
    const criteria = 'identifier=urn:mrn|race-batch';
    const batch = { resourceType: 'Bundle', type: 'batch', entry: [{ resource: patient('race-batch'), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria } }] };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.http.post('/fhir').set('Content-Type', FHIR_JSON).send(batch)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.map((r) => r.body.entry[0].response.status).filter((s: string) => s.startsWith('201'))).toHaveLength(1);
    expect(await count(criteria)).toBe(1);
  });
});
