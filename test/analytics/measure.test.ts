// $evaluate-measure on every engine: the shipped diabetes measure (fhir-profiles/measures/: the
// most recent HbA1c in the period decides, no HbA1c counts as poor control), a test measure with
// denominator exclusions and period variables, and test measures with FHIRPath populations, each
// count and score checked against a brute-force computation over the generated records;
// population, subject and subject-list reports; text/cql, FHIRPath that does not compile and other
// bad input answer 400.
import type { Condition, Encounter, Measure, MeasureReport, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, store } from './load';

// FerretDB (the MongoDB engine in CI) on a busy machine takes minutes for the `_has` counts.
jest.setTimeout(900_000);

const FHIR = 'application/fhir+json';
const POP = 'http://terminology.hl7.org/CodeSystem/measure-population';
const data = generated(12, 9, 3);
// Four diabetic patients made by hand, so both sides of CMS122's rules occur whatever the seed
// gives: the last 2025 HbA1c high (numerator), high earlier but controlled last (not), no HbA1c in
// 2025 (numerator: untested counts as poor control), and no visit in 2025 (not in the population).
const made = (id: string, gender: 'male' | 'female', birthDate: string, visit: string | undefined, hba1c: Array<[string, number]>): Resource[] => [
  { resourceType: 'Patient', id, gender, birthDate },
  { resourceType: 'Condition', id: `${id}-dm`, subject: { reference: `Patient/${id}` }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } },
  ...(visit ? [{ resourceType: 'Encounter', id: `${id}-visit`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${id}` }, period: { start: visit, end: visit } } as Resource] : []),
  ...hba1c.map(([at, value], i): Resource => ({ resourceType: 'Observation', id: `${id}-a1c${i}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] }, subject: { reference: `Patient/${id}` }, effectiveDateTime: at, valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } })),
];
const handMade = [
  ...made('dm-high', 'female', '1950-04-02', '2025-03-01T09:00:00Z', [['2025-03-01T09:30:00Z', 7.0], ['2025-09-01T09:30:00Z', 9.6]]),
  ...made('dm-fixed', 'male', '1958-07-20', '2025-02-01T09:00:00Z', [['2025-02-01T09:30:00Z', 10.2], ['2025-10-01T09:30:00Z', 7.1]]),
  ...made('dm-untested', 'female', '1980-11-30', '2025-05-01T09:00:00Z', [['2024-06-01T09:30:00Z', 6.0]]),
  ...made('dm-unseen', 'male', '1940-01-15', undefined, [['2025-04-01T09:30:00Z', 11.0]]),
];
const resources = [...data.all.filter((r) => ['Patient', 'Condition', 'Observation', 'Encounter'].includes(r.resourceType)), ...handMade];
const patients = resources.filter((r) => r.resourceType === 'Patient') as Patient[];
const conditions = resources.filter((r) => r.resourceType === 'Condition') as Condition[];
const observations = resources.filter((r) => r.resourceType === 'Observation') as Observation[];

const ref = (p: Patient) => `Patient/${p.id}`;
const diabetic = new Set(conditions.filter((c) => c.code?.coding?.some((x) => x.system === 'http://snomed.info/sct' && x.code === '44054006')).map((c) => c.subject!.reference!));
const encounters = resources.filter((r) => r.resourceType === 'Encounter') as Encounter[];
const START = Date.UTC(2025, 0, 1);
const END = Date.UTC(2026, 0, 1); // `le 2025-12-31` on second-precision instants: before this
const seen = new Set(encounters.filter((e) => e.period?.end && Date.parse(e.period.end) >= START).map((e) => e.subject!.reference!));
/** The patient's most recent HbA1c in 2025 ($lastn's order: latest first, equal instants by id descending). */
function latestHbA1c(p: Patient): Observation | undefined {
  return observations
    .filter((o) => o.subject!.reference === ref(p) && o.code.coding?.some((x) => x.system === 'http://loinc.org' && x.code === '4548-4'))
    .filter((o) => Date.parse(o.effectiveDateTime!) >= START && Date.parse(o.effectiveDateTime!) < END)
    .sort((a, b) => Date.parse(b.effectiveDateTime!) - Date.parse(a.effectiveDateTime!) || (a.id! < b.id! ? 1 : -1))[0];
}
/** CMS122's numerator: the most recent result in the period above 9 % (`gt9.0`: from 9.1 at one decimal), or none. */
const poorlyControlled = (p: Patient) => {
  const last = latestHbA1c(p);
  return last === undefined || last.valueQuantity!.value! > 9.05;
};

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
    const ip = patients.filter((p) => diabetic.has(ref(p)) && seen.has(ref(p)));
    const num = ip.filter(poorlyControlled);
    expect(ip.length).toBeGreaterThan(0);
    // The data exercise both sides: a numerator member by its last result, and a patient whose
    // last result is controlled.
    expect(['dm-high', 'dm-untested'].every((id) => num.some((p) => p.id === id))).toBe(true);
    expect(ip.some((p) => p.id === 'dm-fixed') && !num.some((p) => p.id === 'dm-fixed')).toBe(true);
    expect(ip.some((p) => p.id === 'dm-unseen')).toBe(false);
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

  it('decides FHIRPath populations per resource over the x-fhir-query candidates', async () => {
    const period = 'periodStart=2025-01-01&periodEnd=2025-12-31';
    const measure = testMeasure('fhirpath-rules', [
      population('initial-population', 'Patient?_has:Condition:patient:code=http://snomed.info/sct|44054006'),
      population('denominator', 'Patient?'),
      population('denominator-exclusion', "Patient.gender = 'male'", 'text/fhirpath'),
      population('numerator', 'Patient.birthDate < %periodStart.toDate() - 60 years', 'text/fhirpath'),
    ]);
    expect((await t.http.put('/fhir/Measure/fhirpath-rules').set('Content-Type', FHIR).send(measure)).status).toBeLessThan(300);
    const ip = patients.filter((p) => diabetic.has(ref(p)));
    const denex = ip.filter((p) => p.gender === 'male');
    const num = ip.filter((p) => p.gender !== 'male' && p.birthDate! < '1965-01-01');
    expect([denex.length, num.length].every((n) => n > 0)).toBe(true);
    const res = await t.http.get(`/fhir/Measure/fhirpath-rules/$evaluate-measure?${period}&reportType=subject-list`);
    expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([200, undefined]);
    const report = res.body as MeasureReport;
    expect(counts(report)).toEqual({ 'initial-population': ip.length, denominator: ip.length, 'denominator-exclusion': denex.length, numerator: num.length });
    expect(report.group![0].measureScore!.value).toBeCloseTo(num.length / (ip.length - denex.length), 12);
    const numerator = report.group![0].population!.find((p) => p.code!.coding![0].code === 'numerator')!;
    const list = (report.contained ?? []).find((c) => `#${c.id}` === numerator.subjectResults!.reference) as { entry?: Array<{ item: { reference: string } }> };
    expect((list.entry ?? []).map((e) => e.item.reference).sort()).toEqual(num.map(ref).sort());

    // An initial population in FHIRPath is judged over every Patient; one subject restricts it.
    const byRule = testMeasure('fhirpath-initial', [population('initial-population', "Patient.gender = 'female'", 'text/fhirpath'), population('numerator', 'Patient?_has:Condition:patient:code=http://snomed.info/sct|44054006')]);
    expect((await t.http.put('/fhir/Measure/fhirpath-initial').set('Content-Type', FHIR).send(byRule)).status).toBeLessThan(300);
    const women = patients.filter((p) => p.gender === 'female');
    expect(counts((await t.http.get(`/fhir/Measure/fhirpath-initial/$evaluate-measure?${period}`)).body)).toEqual({ 'initial-population': women.length, denominator: women.length, numerator: women.filter((p) => diabetic.has(ref(p))).length });
    const man = patients.find((p) => p.gender === 'male')!;
    expect(counts((await t.http.get(`/fhir/Measure/fhirpath-initial/$evaluate-measure?${period}&subject=${ref(man)}`)).body)).toEqual({ 'initial-population': 0, denominator: 0, numerator: 0 });

    // What does not compile (syntax, an unknown function) is refused when stored; a rule that does
    // not give one boolean per resource is refused when evaluated.
    for (const [id, expression] of [['fp-syntax', 'Patient.name.where('], ['fp-function', 'Patient.name.noSuchFunction()']]) {
      const bad = testMeasure(id, [population('initial-population', 'Patient?'), population('numerator', expression, 'text/fhirpath')]);
      const stored = await t.http.put(`/fhir/Measure/${id}`).set('Content-Type', FHIR).send(bad);
      expect([id, stored.status, stored.body.issue?.[0]?.diagnostics]).toEqual([id, 400, expect.stringContaining('Measure.group[0].population[1].criteria')]);
      expect((await t.http.get(`/fhir/Measure/${id}`)).status).toBe(404);
    }
    const notBoolean = testMeasure('fp-given', [population('initial-population', 'Patient?'), population('numerator', 'Patient.name.given', 'text/fhirpath')]);
    expect((await t.http.put('/fhir/Measure/fp-given').set('Content-Type', FHIR).send(notBoolean)).status).toBeLessThan(300);
    const refused = await t.http.get(`/fhir/Measure/fp-given/$evaluate-measure?${period}`);
    expect([refused.status, refused.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringContaining('must give one boolean per resource')]);
  });
});
