// CodeSystems stored by clients, as every server process sees them: a second server over the same
// database (on MongoDB a second engine, as a second process has; on SQLite, one process per data
// directory, a second server over the same engine) answers from a code system the first stored;
// writes are validated against stored code systems; and a bigger code system answers $lookup and
// $expand with filters and paging. (Beyond MAX_EXPANSION: the service test — a write of a
// CodeSystem with over 10,000 concepts spends minutes in validation today, see docs/terminology.md.)
import { describeEachEngine } from '../support/engines';
import { type TestServer } from '../support/server';
import { makeServerPair, type ServerPair } from '../support/server-pair';

const FHIR = 'application/fhir+json';
const SIZE = 3000;

/** A synthetic release: `root` > 100 groups `g<i>` > concepts `c<n>` (SIZE in all). */
function bigCodeSystem() {
  const groups = Array.from({ length: 100 }, (_, g) => ({ code: `g${g}`, display: `Group ${g}`, concept: [] as Array<{ code: string; display: string }> }));
  for (let n = 0; n < SIZE - 101; n++) groups[n % 100].concept.push({ code: `c${n}`, display: `Concept number ${n}` });
  return { resourceType: 'CodeSystem', id: 'big', url: 'http://example.org/fhir/CodeSystem/big', status: 'active', content: 'complete', concept: [{ code: 'root', display: 'Root', concept: groups }] };
}

describeEachEngine('stored code systems across processes', (factory) => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pair = await makeServerPair(factory);
    ({ a, b } = pair);
  });
  afterAll(() => pair.close());
  const put = (t: TestServer, r: { resourceType: string; id: string }) => t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(JSON.stringify(r));

  it('a code system stored through one server is used by the other', async () => {
    const cs = { resourceType: 'CodeSystem', id: 'fruit', url: 'http://example.org/fhir/CodeSystem/fruit', status: 'active', content: 'complete', concept: [{ code: 'apple', display: 'Apple' }] };
    // B has looked before: it holds a copy without the code system.
    expect((await b.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=apple`)).status).toBe(404);
    expect((await put(a, cs)).status).toBe(201);
    const viaB = await b.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=apple`);
    expect([viaB.status, viaB.body.parameter.find((p: { name: string }) => p.name === 'display').valueString]).toEqual([200, 'Apple']);
    // Writes through B are now validated against it: an unknown code of a complete system is refused.
    await b.server.services.conformance!.refresh();
    const bad = await put(b, { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: cs.url, code: 'pear' }] } } as never);
    expect([bad.status, JSON.stringify(bad.body)]).toEqual([400, expect.stringContaining('pear')]);
    expect((await put(b, { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ system: cs.url, code: 'apple' }] } } as never)).status).toBe(201);
  });

  it(`indexes a code system of ${SIZE} concepts for $lookup and $expand with filters and paging`, async () => {
    expect((await put(a, bigCodeSystem())).status).toBe(201);
    const url = 'http://example.org/fhir/CodeSystem/big';
    const lookup = await b.http.get(`/fhir/CodeSystem/$lookup?system=${url}&code=c2345`);
    expect(lookup.body.parameter.find((p: { name: string }) => p.name === 'display').valueString).toBe('Concept number 2345');
    const page = await a.http.get(`/fhir/ValueSet/$expand?url=${url}&count=5&offset=100`);
    expect([page.body.expansion.total, page.body.expansion.contains.length]).toEqual([SIZE, 5]);
    const filtered = await a.http.get(`/fhir/ValueSet/$expand?url=${url}&filter=number 123`);
    // Every word of the filter must occur in the code or display.
    const expected = Array.from({ length: SIZE - 101 }, (_, n) => `c${n}`).filter((c) => c.includes('123'));
    expect(filtered.body.expansion.contains.map((c: { code: string }) => c.code).sort()).toEqual(expected.sort());
    const isA = await a.http.post('/fhir/ValueSet/$expand').set('Content-Type', FHIR).send({
      resourceType: 'Parameters',
      parameter: [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: url, filter: [{ property: 'concept', op: 'is-a', value: 'g7' }] }] } } }, { name: 'count', valueInteger: 1000 }],
    });
    expect(isA.body.expansion.total).toBe(1 + Math.ceil((SIZE - 101 - 7) / 100));
  });
});
