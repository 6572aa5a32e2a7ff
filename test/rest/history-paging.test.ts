// History paging on both engines (bugs the fuzz suite found): `_count=0` answers the total with no
// entries (SQLite answered 500), every `next` link can be followed to the end (MongoDB's cursor
// was refused with 400 by a route that only knew SQLite's cursor form), and a cursor the engine
// did not issue is a 400 with an OperationOutcome, never a 500.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

describeEachEngine('history paging', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const gender of ['male', 'female', 'other', 'unknown', 'male']) {
      expect((await t.http.put('/fhir/Patient/p').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Patient', id: 'p', gender }))).status).toBeLessThan(300);
    }
  });
  afterAll(() => t.close());

  it.each(['/fhir/Patient/p/_history', '/fhir/Patient/_history', '/fhir/_history'])('%s?_count=0 answers the total only', async (path) => {
    const res = await t.http.get(`${path}?_count=0`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBeGreaterThanOrEqual(5);
    expect(res.body.entry ?? []).toEqual([]);
    expect(res.body.link.map((l: { relation: string }) => l.relation)).toEqual(['self']);
  });

  it('follows next links through every version, newest first', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/fhir/Patient/p/_history?_count=2';
    while (url) {
      const res = await t.http.get(url);
      expect(res.status).toBe(200);
      seen.push(...res.body.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId));
      const next = res.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
      url = next && `${new URL(next).pathname}${new URL(next).search}`;
    }
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
  });

  it.each(['abc', '99999999999999999999', 'eyJsdSI6MX0', '-', '1.5', '%00'])('refuses the cursor %p with 400', async (cursor) => {
    const res = await t.http.get(`/fhir/Patient/p/_history?_cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
