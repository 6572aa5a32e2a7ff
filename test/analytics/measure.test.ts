// $evaluate-measure on every engine: the shipped diabetes measure (fhir-profiles/measures/) and a
// test measure with denominator exclusions and period variables, each count and score checked
// against a brute-force computation over the generated records; population, subject and
// subject-list reports; text/cql and other bad input answer 400.
import type { Condition, Measure, MeasureReport, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, store } from './load';

// FerretDB (the MongoDB engine in CI) on a busy machine takes minutes for the `_has` counts.
jest.setTimeout(900_000);

const FHIR = 'application/fhir+json';
const POP = 'http://terminology.hl7.org/CodeSystem/measure-population';
const data = generated(12, 9, 3);
const resources = data.all.filter((r) => ['Patient', 'Condition', 'Observation'].includes(r.resourceType));
const patients = resources.filter((r) => r.resourceType === 'Patient') as Patient[];
const conditions = resources.filter((r) => r.resourceType === 'Condition') as Condition[];
const observations = resources.filter((r) => r.resourceType === 'Observation') as Observation[];

const ref = (p: Patient) => `Patient/${p.id}`;
const diabetic = new Set(conditions.filter((c) => c.code?.coding?.some((x) => x.system === 'http://snomed.info/sct' && x.code === '44054006')).map((c) => c.subject!.reference!));
const poorControl = new Set(observations.filter((o) => o.code.coding?.some((x) => x.system === 'http://loinc.org' && x.code === '4548-4') && o.valueQuantity!.value! > 9.05).map((o) => o.subject!.reference!));

const population = (code: string, criteria: string, language = 'application/x-fhir-query') => ({ code: { coding: [{ system: POP, code }] }, criteria: { language, expression: criteria } });
const testMeasure = (id: string, populations: object[]): Measure =>
  ({ resourceType: 'Measure', id, url: `http://example.org/Measure/${id}`, status: 'active', scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' }] }, group: [{ population: populations }] }) as Measure;

function counts(report: MeasureReport): Record<string, number> {
  return Object.fromEntries(report.group![0].population!.map((p) => [p.code!.coding![0].code!, p.count!]));
}

describeEachEngine('$evaluate-measure', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    // Each `_has` count takes FerretDB tens of seconds on a loaded machine: beyond the default 60 s request budget.
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '1800s' } });
    await store(t.server, resources);
  });
  afterAll(() => t.close());

  it('evaluates the shipped diabetes measure (population report)', async () => {
    const res = await t.http.get('/fhir/Measure/diabetes-hba1c-poor-control/$evaluate-measure?periodStart=2025-01-01&periodEnd=2025-12-31');
    expect(res.status).toBe(200);
    const report = res.body as MeasureReport;
    expect(report).toMatchObject({ resourceType: 'MeasureReport', status: 'complete', type: 'summary', measure: 'http://nimbus-fhir.org/fhir/Measure/diabetes-hba1c-poor-control', period: { start: '2025-01-01', end: '2025-12-31' } });
    const ip = patients.filter((p) => diabetic.has(ref(p)));
    const num = ip.filter((p) => poorControl.has(ref(p)));
    expect(ip.length).toBeGreaterThan(0);
    expect(counts(report)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(report.group![0].measureScore!.value).toBeCloseTo(num.length / ip.length, 12);
    // The same by canonical URL at the type level.
    const byUrl = await t.http.get('/fhir/Measure/$evaluate-measure?measure=http://nimbus-fhir.org/fhir/Measure/diabetes-hba1c-poor-control&periodStart=2025-01-01&periodEnd=2025-12-31');
    expect(counts(byUrl.body)).toEqual(counts(report));
  });

  it('applies exclusions and period variables; subject and subject-list reports', async () => {
    // Observed during the period; excluded if female; numerator: diabetic.
    const measure = testMeasure('observed-diabetic', [
      population('initial-population', 'Patient?_has:Observation:patient:date=ge{{%periodStart}}'),
      population('denominator', 'Patient?'),
      population('denominator-exclusion', 'Patient?gender=female'),
      population('numerator', 'Patient?_has:Condition:patient:code=http://snomed.info/sct|44054006'),
    ]);
    expect((await t.http.put('/fhir/Measure/observed-diabetic').set('Content-Type', FHIR).send(measure)).status).toBeLessThan(300);
    const start = '2025-06-01';
    const observed = new Set(observations.filter((o) => Date.parse(o.effectiveDateTime!) >= Date.parse(start)).map((o) => o.subject!.reference!));
    const ip = patients.filter((p) => observed.has(ref(p)));
    const denex = ip.filter((p) => p.gender === 'female');
    const num = ip.filter((p) => p.gender !== 'female' && diabetic.has(ref(p)));
    const res = await t.http.get(`/fhir/Measure/observed-diabetic/$evaluate-measure?periodStart=${start}&periodEnd=2026-12-31&reportType=subject-list`);
    expect(res.status).toBe(200);
    const report = res.body as MeasureReport;
    expect(report.type).toBe('subject-list');
    expect(counts(report)).toEqual({ 'initial-population': ip.length, denominator: ip.length, 'denominator-exclusion': denex.length, numerator: num.length });
    const list = (code: string) => {
      const pop = report.group![0].population!.find((p) => p.code!.coding![0].code === code)!;
      const contained = (report.contained ?? []).find((c) => `#${c.id}` === pop.subjectResults!.reference) as { entry?: Array<{ item: { reference: string } }> };
      return (contained.entry ?? []).map((e) => e.item.reference).sort();
    };
    expect(list('numerator')).toEqual(num.map(ref).sort());
    expect(list('denominator-exclusion')).toEqual(denex.map(ref).sort());
    if (ip.length - denex.length > 0) expect(report.group![0].measureScore!.value).toBeCloseTo(num.length / (ip.length - denex.length), 12);

    const one = num[0] ?? ip[0];
    const individual = await t.http.get(`/fhir/Measure/observed-diabetic/$evaluate-measure?periodStart=${start}&periodEnd=2026-12-31&subject=${ref(one)}`);
    expect(individual.body).toMatchObject({ type: 'individual', subject: { reference: ref(one) } });
    expect(counts(individual.body)['initial-population']).toBe(1);
    expect(counts(individual.body).numerator).toBe(num.includes(one) ? 1 : 0);
  });

  it('refuses what it cannot evaluate with 400', async () => {
    const cql = testMeasure('cql', [population('initial-population', 'InInitialPopulation', 'text/cql'), population('numerator', 'InNumerator', 'text/cql')]);
    await t.http.put('/fhir/Measure/cql').set('Content-Type', FHIR).send(cql);
    const period = 'periodStart=2025-01-01&periodEnd=2025-12-31';
    for (const [url, text] of [
      [`/fhir/Measure/cql/$evaluate-measure?${period}`, 'text/cql is not supported'],
      [`/fhir/Measure/diabetes-hba1c-poor-control/$evaluate-measure?periodStart=2026-01-01&periodEnd=2025-01-01`, 'periodStart'],
      [`/fhir/Measure/diabetes-hba1c-poor-control/$evaluate-measure?${period}&reportType=everyone`, 'reportType'],
      [`/fhir/Measure/diabetes-hba1c-poor-control/$evaluate-measure?${period}&reportType=subject`, 'subject'],
      [`/fhir/Measure/$evaluate-measure?${period}&measure=nothing-here`, 'measure'],
      [`/fhir/Measure/diabetes-hba1c-poor-control/$evaluate-measure?${period}&practitioner=Patient/x`, 'practitioner'],
    ]) {
      const res = await t.http.get(url);
      expect([url, res.status, res.body.issue?.[0]?.diagnostics]).toEqual([url, 400, expect.stringContaining(text)]);
    }
    // A criteria that does not parse is refused when the Measure is stored (measures-shipped.test.ts has more).
    const badQuery = testMeasure('bad-query', [population('initial-population', 'Patient?nonsense=1'), population('numerator', 'Patient?')]);
    expect((await t.http.put('/fhir/Measure/bad-query').set('Content-Type', FHIR).send(badQuery)).status).toBe(400);
  });
});
