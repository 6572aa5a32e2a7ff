// One conditional-read rule for the HTTP headers and for Bundle entries (RFC 9110 §13.1.3): a
// resource written at 10:00:00.500 has not been modified since `10:00:00 GMT`, HTTP dates having
// whole seconds. Bundle entries compared milliseconds and answered 200 where HTTP answered 304.
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

describeEachEngine('conditional read', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), clock: fixedClock('2025-03-01T10:00:00.500Z') });
    expect((await t.http.put('/fhir/Patient/ims').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'ims' })).status).toBe(201);
  });
  afterAll(() => t.close());

  const entry = (ifModifiedSince: string) =>
    t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/ims', ifModifiedSince } }] })
      .then((res) => res.body.entry[0].response.status as string);

  it.each([
    ['Sat, 01 Mar 2025 10:00:00 GMT', 304],
    ['Sat, 01 Mar 2025 09:59:59 GMT', 200],
  ])('If-Modified-Since %s answers %i in both places', async (since, status) => {
    expect((await t.http.get('/fhir/Patient/ims').set('If-Modified-Since', since)).status).toBe(status);
    expect(await entry(since)).toMatch(new RegExp(`^${status}`));
  });
});
