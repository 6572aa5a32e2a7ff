// $lastn on every engine against a brute-force computation over the generated Observations: per
// subject and per code (every coding of Observation.code), the `max` with the latest effective
// time (its end: second precision), equal times by id descending.
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, store } from './load';

jest.setTimeout(240_000);

const data = generated(3, 21, 2);
const observations = data.all.filter((r) => r.resourceType === 'Observation') as Observation[];

function bruteForce(max: number, keep: (o: Observation) => boolean = () => true): string[] {
  const groups = new Map<string, Observation[]>();
  for (const o of observations.filter(keep)) {
    for (const c of o.code.coding ?? []) {
      if (!c.code || !o.subject?.reference) continue;
      const k = `${o.subject.reference} ${c.system}|${c.code}`;
      groups.set(k, [...(groups.get(k) ?? []), o]);
    }
  }
  const end = (o: Observation) => Date.parse(o.effectiveDateTime!) + 1000;
  const chosen = new Set<string>();
  for (const list of groups.values()) {
    list.sort((a, b) => end(b) - end(a) || (b.id! < a.id! ? -1 : b.id! > a.id! ? 1 : 0));
    for (const o of list.slice(0, max)) chosen.add(o.id!);
  }
  return [...chosen].sort();
}

describeEachEngine('$lastn', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    await store(t.server, data.all);
  });
  afterAll(() => t.close());

  const ids = (b: Bundle) => (b.entry ?? []).map((e) => e.resource!.id!).sort();

  it('answers the most recent max per code of one patient', async () => {
    const patient = data.patients[0][0].id!;
    for (const max of [1, 3]) {
      for (const param of ['patient', 'subject']) {
        const res = await t.http.get(`/fhir/Observation/$lastn?max=${max}&${param}=Patient/${patient}`);
        expect(res.status).toBe(200);
        expect(res.body.type).toBe('searchset');
        const want = bruteForce(max, (o) => o.subject?.reference === `Patient/${patient}`);
        expect(want.length).toBeGreaterThan(3);
        expect(ids(res.body)).toEqual(want);
      }
    }
  });

  it('answers per patient across every patient, and by category, code and date', async () => {
    expect(ids((await t.http.get('/fhir/Observation/$lastn?max=2')).body)).toEqual(bruteForce(2));
    expect(ids((await t.http.get('/fhir/Observation/$lastn')).body)).toEqual(bruteForce(1));
    const vital = (o: Observation) => (o.category ?? []).some((c) => c.coding?.some((x) => x.code === 'vital-signs'));
    expect(ids((await t.http.get('/fhir/Observation/$lastn?max=2&category=vital-signs')).body)).toEqual(bruteForce(2, vital));
    const code = observations[0].code.coding![0];
    const res = await t.http.post('/fhir/Observation/$lastn').set('Content-Type', 'application/fhir+json').send({
      resourceType: 'Parameters',
      parameter: [{ name: 'max', valuePositiveInt: 2 }, { name: 'code', valueString: `${code.system}|${code.code}` }],
    });
    expect(ids(res.body)).toEqual(bruteForce(2, (o) => o.code.coding!.some((c) => c.system === code.system && c.code === code.code)));
    const cut = '2025-06-01';
    expect(ids((await t.http.get(`/fhir/Observation/$lastn?max=3&date=lt${cut}`)).body)).toEqual(bruteForce(3, (o) => Date.parse(o.effectiveDateTime!) < Date.parse(cut)));
  });

  it('refuses what it does not take with 400 naming the parameter', async () => {
    for (const [query, name] of [
      ['max=0', 'max'],
      ['max=5000', 'max'],
      ['status=final', 'status'],
      ['date=notadate', 'date'],
    ]) {
      const res = await t.http.get(`/fhir/Observation/$lastn?${query}`);
      expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringContaining(name)]);
    }
    expect((await t.http.get('/fhir/Patient/$lastn')).status).toBe(400);
  });
});
