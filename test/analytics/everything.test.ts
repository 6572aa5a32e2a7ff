// $everything on every engine, checked against a brute-force computation over the generated
// records: the Patient compartment (member types from R4's CompartmentDefinition, membership by
// any reference to the patient), the non-compartment resources they reference, care-date and
// _since filters, _type, and stable paging.
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, keyOf, referencesIn, store } from './load';

jest.setTimeout(240_000);

const compartment = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../fhir-profiles/compartments/CompartmentDefinition-patient.json'), 'utf8')) as { resource: Array<{ code: string; param?: string[] }> };
const MEMBER_TYPES = new Set(compartment.resource.filter((r) => r.param?.length).map((r) => r.code));

const data = generated(3, 12, 2);
const byKey = new Map(data.all.map((r) => [keyOf(r), r]));

function inCompartment(r: Resource, patientId: string): boolean {
  if (r.resourceType === 'Patient') return r.id === patientId || referencesIn(r).includes(`Patient/${patientId}`);
  return MEMBER_TYPES.has(r.resourceType) && referencesIn(r).includes(`Patient/${patientId}`);
}

/** The brute-force answer: compartment members (matches) and what they reference outside it. */
function expected(members: Resource[], types?: string[]): { matches: string[]; included: string[] } {
  const keep = (t: string) => !types || types.includes(t);
  const matches = members.filter((r) => keep(r.resourceType));
  const included = new Set<string>();
  for (const m of matches) {
    for (const ref of referencesIn(m)) {
      const target = byKey.get(ref);
      if (target && !MEMBER_TYPES.has(target.resourceType) && keep(target.resourceType)) included.add(ref);
    }
  }
  return { matches: matches.map(keyOf).sort(), included: [...included].sort() };
}

describeEachEngine('$everything', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    await store(t.server, data.all);
  });
  afterAll(() => t.close());

  /** Follows next links; every page's entries by mode, and the pages' URLs. */
  async function walk(url: string): Promise<{ matches: string[]; included: string[]; pages: string[] }> {
    const matches: string[] = [];
    const included = new Set<string>();
    const pages: string[] = [];
    let next: string | undefined = url;
    while (next) {
      pages.push(next);
      const res = await t.http.get(next.replace(/^https?:\/\/[^/]+/, ''));
      expect(res.status).toBe(200);
      const bundle = res.body as Bundle;
      expect(bundle.type).toBe('searchset');
      for (const e of bundle.entry ?? []) (e.search!.mode === 'match' ? matches : included.add(keyOf(e.resource!)) && []).push(keyOf(e.resource!));
      next = bundle.link?.find((l) => l.relation === 'next')?.url;
      expect(pages.length).toBeLessThan(500);
    }
    return { matches, included: [...included].sort(), pages };
  }

  it('answers the patient, its compartment and what they reference, in stable pages', async () => {
    const patient = data.patients[1][0];
    const members = data.all.filter((r) => inCompartment(r, patient.id!));
    const want = expected(members);
    expect(want.matches.length).toBeGreaterThan(20);
    expect(want.included.length).toBeGreaterThan(0);
    const got = await walk(`/fhir/Patient/${patient.id}/$everything?_count=7`);
    expect(got.matches.length).toBe(new Set(got.matches).size); // no resource twice
    expect([...got.matches].sort()).toEqual(want.matches);
    expect(got.matches[0]).toBe(keyOf(patient));
    expect(got.included).toEqual(want.included);
    // The same page asked again is the same page.
    const again = await t.http.get(got.pages[2].replace(/^https?:\/\/[^/]+/, ''));
    const first = await t.http.get(got.pages[2].replace(/^https?:\/\/[^/]+/, ''));
    expect(again.body.entry.map((e: { resource: Resource }) => keyOf(e.resource))).toEqual(first.body.entry.map((e: { resource: Resource }) => keyOf(e.resource)));
  });

  it('keeps pages stable when resources are added meanwhile', async () => {
    const patient = data.patients[2][0];
    const firstPage = await t.http.get(`/fhir/Patient/${patient.id}/$everything?_count=5&_type=Patient,Observation`);
    const next = (firstPage.body as Bundle).link!.find((l) => l.relation === 'next')!.url.replace(/^https?:\/\/[^/]+/, '');
    // A new observation written between pages: it must not shift later pages (no resource lost or
    // repeated); being newer than the cursor, it may appear on a later page.
    await t.http.put('/fhir/Observation/aaa-new').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Observation', id: 'aaa-new', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${patient.id}` } });
    const rest = await walk(next);
    const seen = [...(firstPage.body as Bundle).entry!.filter((e) => e.search!.mode === 'match').map((e) => keyOf(e.resource!)), ...rest.matches];
    const want = expected(data.all.filter((r) => inCompartment(r, patient.id!)), ['Patient', 'Observation']).matches;
    expect(seen.length).toBe(new Set(seen).size);
    expect([...seen].filter((k) => k !== 'Observation/aaa-new').sort()).toEqual(want);
    await t.http.delete('/fhir/Observation/aaa-new');
  });

  it('filters by _type, _since and care dates (start/end)', async () => {
    // The patient observed on the most days.
    const dayCount = (rs: Resource[]) => new Set(rs.filter((r) => r.resourceType === 'Observation').map((o) => (o as { effectiveDateTime: string }).effectiveDateTime.slice(0, 10))).size;
    const patient = [...data.patients].sort((a, b) => dayCount(b) - dayCount(a))[0][0];
    const members = data.all.filter((r) => inCompartment(r, patient.id!));
    const typed = await walk(`/fhir/Patient/${patient.id}/$everything?_type=Observation,Practitioner&_count=50`);
    const want = expected(members, ['Observation', 'Practitioner']);
    expect([...typed.matches].sort()).toEqual(want.matches);
    expect(typed.included).toEqual(want.included);

    // Care dates: an Observation is in when effective [t, t + 1 s) overlaps [start, end of `end`'s day).
    const obs = members.filter((r) => r.resourceType === 'Observation') as Array<Resource & { effectiveDateTime?: string }>;
    const days = [...new Set(obs.map((o) => o.effectiveDateTime!.slice(0, 10)))].sort();
    expect(days.length).toBeGreaterThanOrEqual(3);
    const [start, end] = [days[1], days[days.length - 2]];
    const lo = Date.parse(start);
    const hi = Date.parse(end) + 86_400_000;
    const dated = await walk(`/fhir/Patient/${patient.id}/$everything?_type=Patient,Observation&start=${start}&end=${end}`);
    const wantDated = [keyOf(patient), ...obs.filter((o) => { const x = Date.parse(o.effectiveDateTime!); return x + 1000 > lo && x < hi; }).map(keyOf)].sort();
    expect(wantDated.length - 1).toBeLessThan(obs.length);
    expect([...dated.matches].sort()).toEqual(wantDated);

    // _since: lastUpdated as stored (one millisecond apart in load order).
    const since = new Date(Date.UTC(2026, 0, 1) + data.all.indexOf(obs[obs.length >> 1])).toISOString();
    const recent = await walk(`/fhir/Patient/${patient.id}/$everything?_type=Observation&_since=${since}`);
    const wantRecent = obs.filter((o) => data.all.indexOf(o) >= data.all.indexOf(obs[obs.length >> 1])).map(keyOf).sort();
    expect([...recent.matches].sort()).toEqual(wantRecent);
  });

  it('answers every patient at the type level', async () => {
    const got = await walk('/fhir/Patient/$everything?_type=Patient,Condition&_count=4');
    const patients = data.all.filter((r) => r.resourceType === 'Patient');
    const conditions = data.all.filter((r) => r.resourceType === 'Condition' && referencesIn(r).some((x) => x.startsWith('Patient/')));
    expect([...got.matches].sort()).toEqual([...patients, ...conditions].map(keyOf).sort());
  });

  it('refuses bad parameters with 400 naming them, and unknown patients with 404', async () => {
    const id = data.patients[0][0].id;
    for (const [query, name] of [
      ['_type=Nonsense', '_type'],
      ['start=2025-13', 'start'],
      ['start=2025-06-01&end=2025-01-01', 'start'],
      ['_cursor=garbage', '_cursor'],
      ['_count=0', '_count'],
    ]) {
      const res = await t.http.get(`/fhir/Patient/${id}/$everything?${query}`);
      expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringContaining(name)]);
    }
    expect((await t.http.get('/fhir/Patient/nobody/$everything')).status).toBe(404);
  });
});
