// $stats and $population-stats on every engine against statistics computed here by brute force
// over the generated Observations (valueQuantity of the code, in the unit of its most recent
// Observation): every statistic code of R4's observation-statistics, to 1e-9 relative.
import type { Observation, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, store } from './load';

jest.setTimeout(1_800_000);

const FHIR = 'application/fhir+json';
const LOINC = 'http://loinc.org';
const WEIGHT = '29463-7';
const data = generated(8, 5, 2);
const patients = data.all.filter((r) => r.resourceType === 'Patient') as Patient[];
const subject = patients[0].id!;
// One weight in pounds, older than the rest: left out of the values (count), but in total-count.
const pounds: Observation = { resourceType: 'Observation', id: 'weight-in-lb', status: 'final', code: { coding: [{ system: LOINC, code: WEIGHT }] }, subject: { reference: `Patient/${subject}` }, effectiveDateTime: '2000-01-01T00:00:00Z', valueQuantity: { value: 150, unit: 'lb', system: 'http://unitsofmeasure.org', code: '[lb_av]' } };
const resources: Resource[] = [...data.all.filter((r) => r.resourceType === 'Patient' || r.resourceType === 'Observation'), pounds];
const observations = resources.filter((r) => r.resourceType === 'Observation') as Observation[];

const ALL = ['average', 'maximum', 'minimum', 'count', 'total-count', 'median', 'std-dev', 'sum', 'variance', '20-percent', '80-percent', '4-lower', '4-upper', '4-dev', '5-1', '5-2', '5-3', '5-4', 'skew', 'kurtosis', 'regression'];

/** Every statistic by brute force over these Observations (of one code, all in kg). */
function expected(obs: Observation[]): Record<string, number> {
  const kg = obs.filter((o) => o.valueQuantity?.code === 'kg');
  const xs = kg.map((o) => o.valueQuantity!.value!);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sorted = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => {
    const h = (n - 1) * p;
    const i = Math.floor(h);
    return i + 1 < n ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
  };
  const moment = (k: number) => xs.reduce((a, x) => a + (x - mean) ** k, 0) / n;
  const ts = kg.map((o) => Date.parse(o.effectiveDateTime!) / 86_400_000);
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const slope = ts.reduce((a, t, i) => a + (t - mt) * (xs[i] - mean), 0) / ts.reduce((a, t) => a + (t - mt) ** 2, 0);
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return {
    average: mean, maximum: Math.max(...xs), minimum: Math.min(...xs), count: n, 'total-count': obs.length, median: pct(0.5),
    'std-dev': Math.sqrt(variance), sum: xs.reduce((a, b) => a + b, 0), variance, '20-percent': pct(0.2), '80-percent': pct(0.8),
    '4-lower': pct(0.25), '4-upper': pct(0.75), '4-dev': (pct(0.75) - pct(0.25)) / 2, '5-1': pct(0.2), '5-2': pct(0.4), '5-3': pct(0.6), '5-4': pct(0.8),
    skew: moment(3) / moment(2) ** 1.5, kurtosis: moment(4) / moment(2) ** 2 - 3, regression: slope,
  };
}

function components(o: Observation): Record<string, number> {
  return Object.fromEntries((o.component ?? []).filter((c) => !c.dataAbsentReason).map((c) => [c.code.coding![0].code!, c.valueInteger ?? c.valueQuantity!.value!]));
}

function expectClose(got: Record<string, number>, want: Record<string, number>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) {
    const tolerance = 1e-9 * Math.max(1, Math.abs(want[k]));
    expect([k, Math.abs(got[k] - want[k]) <= tolerance ? 'close' : `${got[k]} vs ${want[k]}`]).toEqual([k, 'close']);
  }
}

const isWeight = (o: Observation) => o.code.coding?.some((c) => c.system === LOINC && c.code === WEIGHT);

describeEachEngine('$stats', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    // $population-stats is 17+ queries; FerretDB on a loaded machine takes seconds for each, beyond
    // the default 60 s request budget.
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '1800s' } });
    await store(t.server, resources);
  });
  afterAll(() => t.close());

  it('computes every statistic of one subject and code, exactly', async () => {
    const res = await t.http.get(`/fhir/Observation/$stats?subject=Patient/${subject}&system=${encodeURIComponent(LOINC)}&code=${WEIGHT}&statistic=${ALL.join(',')}`);
    expect(res.status).toBe(200);
    const body = res.body as Parameters;
    const stats = body.parameter!.filter((p) => p.name === 'statistics').map((p) => p.resource as Observation);
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ status: 'final', code: { coding: [{ system: LOINC, code: WEIGHT }] }, subject: { reference: `Patient/${subject}` } });
    const mine = observations.filter((o) => isWeight(o) && o.subject?.reference === `Patient/${subject}`);
    expect(mine.filter((o) => o.valueQuantity?.code === 'kg').length).toBeGreaterThan(3);
    expectClose(components(stats[0]), expected(mine));
    expect(stats[0].component!.find((c) => c.code.coding![0].code === 'average')!.valueQuantity).toMatchObject({ unit: 'kg', code: 'kg' });
  });

  it('restricts to a period, includes the sources, and answers a coding', async () => {
    const mine = observations.filter((o) => isWeight(o) && o.subject?.reference === `Patient/${subject}`).sort((a, b) => a.effectiveDateTime!.localeCompare(b.effectiveDateTime!));
    const start = mine[2].effectiveDateTime!;
    const res = await t.http.post('/fhir/Observation/$stats').set('Content-Type', FHIR).send({
      resourceType: 'Parameters',
      parameter: [
        { name: 'subject', valueUri: `Patient/${subject}` },
        { name: 'coding', valueCoding: { system: LOINC, code: WEIGHT } },
        { name: 'period', valuePeriod: { start } },
        { name: 'statistic', valueCode: 'count' },
        { name: 'statistic', valueCode: 'average' },
        { name: 'include', valueBoolean: true },
      ],
    });
    expect(res.status).toBe(200);
    const within = mine.filter((o) => o.effectiveDateTime! >= start);
    const want = expected(within);
    const got = components(res.body.parameter.find((p: { name: string }) => p.name === 'statistics').resource);
    expectClose(got, { count: want.count, average: want.average });
    const sources = res.body.parameter.filter((p: { name: string }) => p.name === 'source').map((p: { resource: Resource }) => p.resource.id).sort();
    expect(sources).toEqual(within.map((o) => o.id).sort());
  });

  it('computes population statistics overall and per gender and age band', async () => {
    const res = await t.http.get(`/fhir/Observation/$population-stats?system=${encodeURIComponent(LOINC)}&code=${WEIGHT}&statistic=${ALL.join(',')}`);
    expect(res.status).toBe(200);
    const weights = observations.filter((o) => isWeight(o));
    const overall = res.body.parameter.find((p: { name: string }) => p.name === 'statistics').resource as Observation;
    expectClose(components(overall), expected(weights));
    const today = new Date();
    const age = (p: Patient) => {
      const [y, m, d] = p.birthDate!.split('-').map(Number);
      const before = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
      return today.getUTCFullYear() - y - (before ? 1 : 0);
    };
    const band = (a: number) => (a < 18 ? '0-17' : a < 40 ? '18-39' : a < 65 ? '40-64' : '65+');
    const byId = new Map(patients.map((p) => [`Patient/${p.id}`, p]));
    const strata = new Map<string, Observation[]>();
    for (const o of weights) {
      const p = byId.get(o.subject!.reference!)!;
      const k = `${p.gender} ${band(age(p))}`;
      strata.set(k, [...(strata.get(k) ?? []), o]);
    }
    const answered = res.body.parameter.filter((p: { name: string }) => p.name === 'stratum');
    expect(answered.length).toBe(strata.size);
    expect(strata.size).toBeGreaterThan(2);
    for (const s of answered) {
      const part = Object.fromEntries(s.part.map((x: { name: string; valueCode?: string; valueString?: string; resource?: Observation }) => [x.name, x.valueCode ?? x.valueString ?? x.resource]));
      const want = strata.get(`${part.gender} ${part.ageBand}`)!;
      const w = expected(want);
      // Statistics a stratum's data do not define (n < 2) come as dataAbsentReason.
      const defined = Object.fromEntries(Object.entries(w).filter(([, v]) => Number.isFinite(v)));
      expectClose(components(part.statistics), defined);
    }
  });

  it('answers blood-pressure components: a component code, and a panel code per component', async () => {
    const BP = '85354-9';
    const panels = observations.filter((o) => o.code.coding?.some((c) => c.system === LOINC && c.code === BP));
    const mine = panels.filter((o) => o.subject?.reference === `Patient/${subject}`);
    expect(mine.length).toBeGreaterThan(3);
    // The component values as kg-coded stand-ins, so `expected` applies (regression is not asked:
    // component values carry no time of their own in the index).
    const asValues = (obs: Observation[], code: string): Observation[] =>
      obs.map((o) => ({ ...o, valueQuantity: { value: o.component!.find((c) => c.code.coding![0].code === code)!.valueQuantity!.value!, code: 'kg' } }));
    const asked = ALL.filter((s) => s !== 'regression');
    const one = await t.http.get(`/fhir/Observation/$stats?subject=Patient/${subject}&system=${encodeURIComponent(LOINC)}&code=8480-6&statistic=${asked.join(',')}`);
    expect(one.status).toBe(200);
    const systolic = one.body.parameter.filter((p: { name: string }) => p.name === 'statistics').map((p: { resource: Observation }) => p.resource) as Observation[];
    expect(systolic.map((o) => o.code.coding![0].code)).toEqual(['8480-6']);
    const { regression: _r, ...wantSystolic } = expected(asValues(mine, '8480-6'));
    expectClose(components(systolic[0]), wantSystolic);
    expect(systolic[0].component!.find((c) => c.code.coding![0].code === 'median')!.valueQuantity).toMatchObject({ code: 'mm[Hg]' });

    const panel = await t.http.get(`/fhir/Observation/$stats?subject=Patient/${subject}&system=${encodeURIComponent(LOINC)}&code=${BP}&statistic=${asked.join(',')}`);
    const parts = panel.body.parameter.filter((p: { name: string }) => p.name === 'statistics').map((p: { resource: Observation }) => p.resource) as Observation[];
    expect(parts.map((o) => o.code.coding![0].code)).toEqual(['8462-4', '8480-6']);
    const { regression: _d, ...wantDiastolic } = expected(asValues(mine, '8462-4'));
    expectClose(components(parts[0]), wantDiastolic);
    expectClose(components(parts[1]), wantSystolic);

    const population = await t.http.get(`/fhir/Observation/$population-stats?system=${encodeURIComponent(LOINC)}&code=8462-4&statistic=count,median,average`);
    const overall = population.body.parameter.find((p: { name: string }) => p.name === 'statistics').resource as Observation;
    const all = expected(asValues(panels, '8462-4'));
    expectClose(components(overall), { count: all.count, median: all.median, average: all.average });
  });

  it('refuses bad input with 400 naming the parameter', async () => {
    for (const [query, name] of [
      [`subject=Patient/${subject}&system=${LOINC}&code=${WEIGHT}&statistic=mode`, 'statistic'],
      [`subject=Patient/${subject}&code=${WEIGHT}&statistic=count`, 'system'],
      [`subject=nonsense&system=${LOINC}&code=${WEIGHT}&statistic=count`, 'subject'],
      [`subject=Patient/${subject}&system=${LOINC}&statistic=count`, 'code'],
      [`subject=Patient/${subject}&system=${LOINC}&code=${WEIGHT}&statistic=count&duration=-1`, 'duration'],
      [`system=${LOINC}&code=${WEIGHT}&statistic=count`, 'subject'],
    ]) {
      const res = await t.http.get(`/fhir/Observation/$stats?${query}`);
      expect([query, res.status, res.body.issue?.[0]?.diagnostics]).toEqual([query, 400, expect.stringContaining(name)]);
    }
    const bad = await t.http.get(`/fhir/Observation/$population-stats?system=${LOINC}&code=${WEIGHT}&statistic=nope`);
    expect([bad.status, bad.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringContaining('statistic')]);
  });
});
