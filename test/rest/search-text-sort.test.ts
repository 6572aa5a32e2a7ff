// `_content` and `_text` together with `_sort` answered 500 on SQLite ("Maximum call stack size
// exceeded": the per-row check of a text predicate recursed into itself).
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

describeEachEngine('word search with _sort', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const [family, note] of [['Zed', 'abc trial'], ['Abel', 'abc'], ['Mid', 'other']]) {
      await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient', name: [{ family, given: [note] }], text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${note}</div>` } });
    }
  });
  afterAll(() => t.close());

  it.each(['_content', '_text'])('%s=abc&_sort=family finds and orders the matches', async (param) => {
    const res = await t.http.get(`/fhir/Patient?${param}=abc&_sort=family`);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { resource: { name: Array<{ family: string }> } }) => e.resource.name[0].family)).toEqual(['Abel', 'Zed']);
    const desc = await t.http.get(`/fhir/Patient?${param}=abc&_sort=-family&_count=1`);
    expect(desc.body.entry.map((e: { resource: { name: Array<{ family: string }> } }) => e.resource.name[0].family)).toEqual(['Zed']);
  });
});
