// Concurrent updates of one resource over HTTP, on every engine: without If-Match each becomes the
// next version (none is lost, none is refused); with a stale If-Match the client gets its 412.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const WRITERS = 8;

describeEachEngine('concurrent updates over HTTP', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());

  const put = (body: Record<string, unknown>, ifMatch?: string) => {
    const req = t.http.put('/fhir/Patient/hot').set('Content-Type', 'application/fhir+json');
    return (ifMatch ? req.set('If-Match', ifMatch) : req).send({ resourceType: 'Patient', id: 'hot', ...body });
  };

  it('applies every update without If-Match as the next version, in a linear history', async () => {
    expect((await put({ active: false })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, i) => put({ active: true, birthDate: `2000-01-0${i + 1}` })));
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 2));
    const history = await t.http.get('/fhir/Patient/hot/_history?_count=50');
    expect(history.body.total).toBe(WRITERS + 1);
    // The current version is the one the last acknowledged writer wrote.
    const last = results.find((r) => r.body.meta.versionId === String(WRITERS + 1))!;
    expect((await t.http.get('/fhir/Patient/hot')).body.birthDate).toBe(last.body.birthDate);
  });

  it('answers a stale If-Match with 412 instead of retrying it', async () => {
    const res = await put({ active: false }, 'W/"1"');
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
