// The measures shipped in fhir-profiles/measures/ on every engine, over the generator's records:
// each population count, score, percentile and stratum is checked against a brute-force
// computation written here over the resources the test stored (counts exact; durations and rates
// to 1e-9). Also: subject and practitioner restrictions on a non-Patient basis, criteria checked
// when a Measure is stored, and what is refused with 400.
import type { Appointment, Condition, Encounter, Immunization, Measure, MeasureReport, MeasureReportGroup, Observation, Patient, Resource, Slot } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, store } from './load';

// FerretDB (the MongoDB engine in CI) on a busy machine answers each query in seconds, and a
// stratified report is dozens of queries: the suite allows it, and so does the request budget.
jest.setTimeout(3_600_000);

const FHIR = 'application/fhir+json';
const POP = 'http://terminology.hl7.org/CodeSystem/measure-population';
const PERIOD = 'periodStart=2025-01-01&periodEnd=2025-12-31';
const START = Date.UTC(2025, 0, 1);
const END = Date.UTC(2026, 0, 1); // `le 2025-12-31` on second-precision instants: before this
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TOLERANCE = 9; // decimal digits for toBeCloseTo

const data = generated(14, 21, 3);
// The types the measures read (the care directory's Organizations, Schedules… are only referenced).
const generatedResources = data.all.filter((r) => ['Patient', 'Appointment', 'Slot', 'Encounter', 'Observation', 'Condition', 'Immunization'].includes(r.resourceType));
// Inpatient stays of two patients, so the readmission measure has readmissions whatever the seed
// gives: a readmission 15 days after discharge, one exactly 30 days after (counts), one 49 days
// after (does not), and an emergency visit and another patient's admission in between (do not).
const [p1, p2] = generatedResources.filter((r) => r.resourceType === 'Patient') as Patient[];
const stay = (id: string, patient: Patient, start: string, end: string, code = 'IMP'): Encounter => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code },
  subject: { reference: `Patient/${patient.id}` },
  serviceProvider: { reference: code === 'IMP' ? 'Organization/test-hospital' : 'Organization/test-clinic' },
  period: { start, end },
});
const stays: Encounter[] = [
  stay('stay-a', p1, '2025-03-01T10:00:00Z', '2025-03-05T10:00:00Z'),
  stay('stay-b', p1, '2025-03-20T08:00:00Z', '2025-03-22T08:00:00Z'),
  stay('stay-c', p1, '2025-05-10T00:00:00Z', '2025-05-12T00:00:00Z'),
  stay('visit-d', p1, '2025-05-15T09:00:00Z', '2025-05-15T13:00:00Z', 'EMER'),
  stay('stay-e', p2, '2025-05-20T00:00:00Z', '2025-05-23T00:00:00Z'),
  stay('stay-f', p1, '2025-06-11T00:00:00Z', '2025-06-13T00:00:00Z'),
];
// Three hypertensive patients seen in 2025, so CMS165's "most recent reading" matters whatever the
// seed gives: controlled first but not last (not in the numerator, though a reading is < 140/90),
// uncontrolled first but controlled last in 2025 (numerator; a 2026 reading is outside the
// period), and no reading in 2025 (denominator only).
const bpReading = (id: string, patient: string, at: string, systolic: number, diastolic: number): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: at,
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
});
const hypertensivePatient = (id: string, gender: Patient['gender'], birthDate: string, readings: Observation[]): Resource[] => [
  { resourceType: 'Patient', id, gender, birthDate },
  { resourceType: 'Condition', id: `${id}-htn`, subject: { reference: `Patient/${id}` }, code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] } },
  { resourceType: 'Encounter', id: `${id}-visit`, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${id}` }, period: { start: '2025-04-01T09:00:00Z', end: '2025-04-01T09:40:00Z' } },
  ...readings,
];
const bpPatients: Resource[] = [
  ...hypertensivePatient('htn-relapsed', 'female', '1955-02-03', [bpReading('htn-relapsed-1', 'htn-relapsed', '2025-02-01T10:00:00Z', 128, 82), bpReading('htn-relapsed-2', 'htn-relapsed', '2025-08-01T10:00:00Z', 152, 88)]),
  ...hypertensivePatient('htn-improved', 'male', '1962-09-14', [bpReading('htn-improved-1', 'htn-improved', '2025-03-01T10:00:00Z', 149, 96), bpReading('htn-improved-2', 'htn-improved', '2025-11-01T10:00:00Z', 133, 84), bpReading('htn-improved-3', 'htn-improved', '2026-02-01T10:00:00Z', 160, 99)]),
  ...hypertensivePatient('htn-unread', 'female', '1970-06-30', []),
];
const resources: Resource[] = [...generatedResources, ...stays, ...bpPatients];
const of = <T extends Resource>(type: string) => resources.filter((r) => r.resourceType === type) as T[];
const patients = of<Patient>('Patient');
const appointments = of<Appointment>('Appointment');
const slots = of<Slot>('Slot');
const encounters = of<Encounter>('Encounter');
const observations = of<Observation>('Observation');
const conditions = of<Condition>('Condition');
const immunizations = of<Immunization>('Immunization');

const inPeriod = (t: string | undefined) => t !== undefined && Date.parse(t) >= START && Date.parse(t) < END;
const tokenKey = (c: { system?: string; code?: string } | undefined) => `${c?.system ?? ''}|${c?.code}`;
const month = (t: string) => new Date(Date.parse(t)).toISOString().slice(0, 7);

/** R-7 percentile (linear interpolation between closest ranks). */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

function groupCounts(g: { population?: Array<{ code?: { coding?: Array<{ code?: string }> }; count?: number }> }): Record<string, number> {
  return Object.fromEntries((g.population ?? []).map((p) => [p.code!.coding![0].code!, p.count!]));
}

/** A stratifier's strata as key → {counts, score}; keys are the value's system|code or text. */
function strata(group: MeasureReportGroup, id: string): Map<string, { counts: Record<string, number>; score?: number }> {
  const s = group.stratifier!.find((x) => x.id === id)!;
  return new Map(s.stratum!.map((st) => [st.value!.coding ? tokenKey(st.value!.coding[0]) : st.value!.text!, { counts: groupCounts(st), score: st.measureScore?.value }]));
}

/** Age in whole years on 2025-12-31. */
function age(p: Patient): number {
  const [y, m, d] = p.birthDate!.split('-').map(Number);
  return 2025 - y - (m * 100 + d > 1231 ? 1 : 0);
}
const BANDS: Array<[string, number, number]> = [['0-17', 0, 18], ['18-39', 18, 40], ['40-64', 40, 65], ['65+', 65, 1000]];
const band = (p: Patient) => BANDS.find(([, lo, hi]) => age(p) >= lo && age(p) < hi)![0];
const patientOf = (reference: string | undefined) => patients.find((p) => `Patient/${p.id}` === reference)!;

describeEachEngine('shipped measures', (factory) => {
  let t: TestServer;
  const evaluate = async (id: string, extra = ''): Promise<MeasureReport> => {
    const res = await t.http.get(`/fhir/Measure/${id}/$evaluate-measure?${PERIOD}${extra}`);
    expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([200, undefined]);
    return res.body as MeasureReport;
  };
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '1800s' } });
    await store(t.server, resources);
  });
  afterAll(() => t.close());

  it('appointment no-show rate, by service type and by month', async () => {
    const ip = appointments.filter((a) => inPeriod(a.start) && (a.status === 'fulfilled' || a.status === 'noshow'));
    const num = ip.filter((a) => a.status === 'noshow');
    expect(num.length).toBeGreaterThan(0);
    const report = await evaluate('appointment-no-show-rate');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(g.measureScore!.value).toBeCloseTo(num.length / ip.length, TOLERANCE);
    const expectStrata = (id: string, keyOf: (a: Appointment) => string) => {
      const keys = [...new Set(ip.map(keyOf))].sort();
      const got = strata(g, id);
      expect([...got.keys()].sort()).toEqual(keys);
      for (const k of keys) {
        const n = ip.filter((a) => keyOf(a) === k).length;
        const m = num.filter((a) => keyOf(a) === k).length;
        expect(got.get(k)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
        expect(got.get(k)!.score).toBeCloseTo(m / n, TOLERANCE);
      }
    };
    expectStrata('service-type', (a) => tokenKey(a.serviceType![0].coding![0]));
    expectStrata('month', (a) => month(a.start!));
  });

  it('appointment lead time: median and 90th percentile in days, per service type; subject and practitioner', async () => {
    const ip = appointments.filter((a) => inPeriod(a.start) && ['booked', 'arrived', 'checked-in', 'fulfilled', 'noshow'].includes(a.status));
    const lead = (a: Appointment) => (Date.parse(a.start!) - Date.parse(a.created!)) / DAY;
    const report = await evaluate('appointment-lead-time');
    const [median, p90] = report.group!;
    const expected = { 'initial-population': ip.length, 'measure-population': ip.filter((a) => a.created).length, 'measure-observation': ip.filter((a) => a.created).length };
    expect(groupCounts(median)).toEqual(expected);
    expect(groupCounts(p90)).toEqual(expected);
    expect(median.measureScore).toMatchObject({ code: 'd', system: 'http://unitsofmeasure.org' });
    expect(median.measureScore!.value).toBeCloseTo(percentile(ip.map(lead), 0.5), TOLERANCE);
    expect(p90.measureScore!.value).toBeCloseTo(percentile(ip.map(lead), 0.9), TOLERANCE);
    const byService = strata(median, 'service-type');
    for (const k of new Set(ip.map((a) => tokenKey(a.serviceType![0].coding![0])))) {
      const members = ip.filter((a) => tokenKey(a.serviceType![0].coding![0]) === k);
      expect(byService.get(k)!.score).toBeCloseTo(percentile(members.map(lead), 0.5), TOLERANCE);
      expect(byService.get(k)!.counts['measure-observation']).toBe(members.length);
    }

    // One patient's appointments (subject), one practitioner's (practitioner).
    const patientRef = ip[0].participant.find((p) => p.actor?.reference?.startsWith('Patient/'))!.actor!.reference!;
    const mine = ip.filter((a) => a.participant.some((p) => p.actor?.reference === patientRef));
    const individual = await evaluate('appointment-lead-time', `&subject=${patientRef}`);
    expect(individual).toMatchObject({ type: 'individual', subject: { reference: patientRef } });
    expect(groupCounts(individual.group![0])['initial-population']).toBe(mine.length);
    expect(individual.group![0].measureScore!.value).toBeCloseTo(percentile(mine.map(lead), 0.5), TOLERANCE);
    const practitionerRef = ip[0].participant.find((p) => p.actor?.reference?.startsWith('Practitioner/'))!.actor!.reference!;
    const theirs = ip.filter((a) => a.participant.some((p) => p.actor?.reference === practitionerRef));
    const byPractitioner = await evaluate('appointment-lead-time', `&practitioner=${practitionerRef}`);
    expect(groupCounts(byPractitioner.group![1])['measure-observation']).toBe(theirs.length);
    expect(byPractitioner.group![1].measureScore!.value).toBeCloseTo(percentile(theirs.map(lead), 0.9), TOLERANCE);
  });

  it('slot utilisation by schedule, with a readable subject-list', async () => {
    const ip = slots.filter((s) => inPeriod(s.start) && (s.status === 'busy' || s.status === 'free'));
    const num = ip.filter((s) => s.status === 'busy');
    expect(ip.length - num.length).toBeGreaterThan(0); // cancelled appointments freed some
    const report = await evaluate('slot-utilisation', '&reportType=subject-list');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(g.measureScore!.value).toBeCloseTo(num.length / ip.length, TOLERANCE);
    const numerator = g.population!.find((p) => p.code!.coding![0].code === 'numerator')!;
    const list = report.contained!.find((c) => `#${c.id}` === numerator.subjectResults!.reference) as { resourceType: string; entry?: Array<{ item: { reference: string } }> };
    expect(list.resourceType).toBe('List');
    expect(list.entry!.map((e) => e.item.reference).sort()).toEqual(num.map((s) => `Slot/${s.id}`).sort());
    const bySchedule = strata(g, 'schedule');
    for (const k of new Set(ip.map((s) => s.schedule.reference!))) {
      const n = ip.filter((s) => s.schedule.reference === k).length;
      const m = num.filter((s) => s.schedule.reference === k).length;
      expect(bySchedule.get(k)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
    }
  });

  it('encounter length of stay in hours, by class', async () => {
    const ip = encounters.filter((e) => e.status === 'finished' && inPeriod(e.period?.end));
    const hours = (e: Encounter) => (Date.parse(e.period!.end!) - Date.parse(e.period!.start!)) / HOUR;
    const report = await evaluate('encounter-length-of-stay');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, 'measure-population': ip.length, 'measure-observation': ip.length });
    expect(g.measureScore).toMatchObject({ code: 'h' });
    expect(g.measureScore!.value).toBeCloseTo(percentile(ip.map(hours), 0.5), TOLERANCE);
    const byClass = strata(g, 'class');
    const classes = [...new Set(ip.map((e) => tokenKey(e.class)))].sort();
    expect(classes.length).toBeGreaterThan(1);
    expect([...byClass.keys()].sort()).toEqual(classes);
    for (const k of classes) {
      const members = ip.filter((e) => tokenKey(e.class) === k);
      expect(byClass.get(k)!.counts['measure-observation']).toBe(members.length);
      expect(byClass.get(k)!.score).toBeCloseTo(percentile(members.map(hours), 0.5), TOLERANCE);
    }
  });

  it('controlling high blood pressure (CMS165-like): the most recent reading in the period, by gender and age band', async () => {
    const hypertensive = new Set(conditions.filter((c) => c.code?.coding?.some((x) => x.system === 'http://snomed.info/sct' && x.code === '38341003')).map((c) => c.subject.reference));
    const seen = new Set(encounters.filter((e) => e.period?.end && Date.parse(e.period.end) >= START).map((e) => e.subject!.reference));
    const component = (o: Observation, code: string) => o.component!.find((c) => c.code.coding![0].code === code)!.valueQuantity!.value!;
    const readings = observations.filter((o) => o.code.coding?.some((c) => c.code === '85354-9') && inPeriod(o.effectiveDateTime));
    for (const o of readings) expect(Number.isInteger(component(o, '8480-6')) && Number.isInteger(component(o, '8462-4'))).toBe(true); // so `lt140` is `< 140`
    // The most recent reading of the period ($lastn's order: latest first, equal instants by id descending).
    const latest = (p: Patient) =>
      readings.filter((o) => o.subject!.reference === `Patient/${p.id}`).sort((a, b) => Date.parse(b.effectiveDateTime!) - Date.parse(a.effectiveDateTime!) || (a.id! < b.id! ? 1 : -1))[0];
    const ip = patients.filter((p) => hypertensive.has(`Patient/${p.id}`) && seen.has(`Patient/${p.id}`));
    const num = ip.filter((p) => {
      const o = latest(p);
      return o !== undefined && component(o, '8480-6') < 140 && component(o, '8462-4') < 90;
    });
    expect(num.map((p) => p.id)).toEqual(expect.arrayContaining(['htn-improved']));
    expect(num.map((p) => p.id)).not.toEqual(expect.arrayContaining(['htn-relapsed']));
    expect(ip.map((p) => p.id)).toEqual(expect.arrayContaining(['htn-relapsed', 'htn-improved', 'htn-unread']));
    const report = await evaluate('controlling-high-blood-pressure');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(g.measureScore!.value).toBeCloseTo(num.length / ip.length, TOLERANCE);
    const byGender = strata(g, 'gender');
    for (const gender of ['male', 'female', 'other', 'unknown']) {
      const n = ip.filter((p) => p.gender === gender).length;
      const m = num.filter((p) => p.gender === gender).length;
      expect(byGender.get(`http://hl7.org/fhir/administrative-gender|${gender}`)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
    }
    const byAge = strata(g, 'age-band');
    for (const [label] of BANDS) {
      const n = ip.filter((p) => band(p) === label).length;
      const m = num.filter((p) => band(p) === label).length;
      expect(byAge.get(label)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
    }
    // One patient's report: in the numerator by the last reading only.
    for (const [id, inNumerator] of [['htn-improved', 1], ['htn-relapsed', 0]] as const) {
      const individual = await evaluate('controlling-high-blood-pressure', `&subject=Patient/${id}`);
      expect(groupCounts(individual.group![0])).toEqual({ 'initial-population': 1, denominator: 1, numerator: inNumerator });
    }
  });

  it('influenza immunization (CMS147-like), by age band', async () => {
    const FLU = new Set(['88', '135', '140', '141', '144', '149', '150', '153', '155', '158', '161', '166', '168', '171', '185', '186', '197', '205']);
    const seen = new Set(encounters.filter((e) => e.period?.end && Date.parse(e.period.end) >= START).map((e) => e.subject!.reference));
    const immunized = new Set(immunizations.filter((i) => i.vaccineCode.coding?.some((c) => c.system === 'http://hl7.org/fhir/sid/cvx' && FLU.has(c.code!))).map((i) => i.patient.reference));
    const ip = patients.filter((p) => seen.has(`Patient/${p.id}`));
    const num = ip.filter((p) => immunized.has(`Patient/${p.id}`));
    expect(num.length).toBeGreaterThan(0);
    const report = await evaluate('influenza-immunization');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(g.measureScore!.value).toBeCloseTo(num.length / ip.length, TOLERANCE);
    const byAge = strata(g, 'age-band');
    for (const [label] of BANDS) {
      const n = ip.filter((p) => band(p) === label).length;
      const m = num.filter((p) => band(p) === label).length;
      expect(byAge.get(label)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
    }
    // practitioner on a Patient basis: the patients whose general practitioner it is.
    const gp = ip[0].generalPractitioner![0].reference!;
    const theirs = ip.filter((p) => p.generalPractitioner?.some((r) => r.reference === gp));
    const byPractitioner = await evaluate('influenza-immunization', `&practitioner=${gp}`);
    expect(groupCounts(byPractitioner.group![0])).toEqual({ 'initial-population': theirs.length, denominator: theirs.length, numerator: theirs.filter((p) => immunized.has(`Patient/${p.id}`)).length });
  });

  it('30-day readmission rate, by organization', async () => {
    const inpatient = encounters.filter((e) => e.class.code === 'IMP');
    const ip = inpatient.filter((e) => e.status === 'finished' && inPeriod(e.period?.end));
    const readmitted = (e: Encounter) =>
      inpatient.some((r) => r !== e && r.subject!.reference === e.subject!.reference && Date.parse(r.period!.start!) > Date.parse(e.period!.end!) && Date.parse(r.period!.start!) <= Date.parse(e.period!.end!) + 30 * DAY);
    const num = ip.filter(readmitted);
    expect(num.map((e) => e.id)).toEqual(expect.arrayContaining(['stay-a', 'stay-c']));
    expect(num.map((e) => e.id)).not.toContain('stay-b');
    const report = await evaluate('readmission-30-day');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, denominator: ip.length, numerator: num.length });
    expect(g.measureScore!.value).toBeCloseTo(num.length / ip.length, TOLERANCE);
    const byOrganization = strata(g, 'organization');
    const organizations = [...new Set(ip.map((e) => e.serviceProvider!.reference!))].sort();
    expect([...byOrganization.keys()].sort()).toEqual(organizations);
    for (const o of organizations) {
      const n = ip.filter((e) => e.serviceProvider!.reference === o).length;
      const m = num.filter((e) => e.serviceProvider!.reference === o).length;
      expect(byOrganization.get(o)!.counts).toEqual({ 'initial-population': n, denominator: n, numerator: m });
    }
    // One patient's stays, as a subject-list.
    const mine = await evaluate('readmission-30-day', `&subject=Patient/${p1.id}&reportType=subject-list`);
    const numerator = mine.group![0].population!.find((p) => p.code!.coding![0].code === 'numerator')!;
    const list = mine.contained!.find((c) => `#${c.id}` === numerator.subjectResults!.reference) as { entry?: Array<{ item: { reference: string } }> };
    expect((list.entry ?? []).map((e) => e.item.reference).sort()).toEqual(num.filter((e) => e.subject!.reference === `Patient/${p1.id}`).map((e) => `Encounter/${e.id}`).sort());
  });

  it('a continuous-variable measure stratified by month and age band (test measure)', async () => {
    const measure = {
      resourceType: 'Measure',
      id: 'stay-by-month',
      status: 'active',
      subjectCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Encounter' }] },
      scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'continuous-variable' }] },
      group: [{
        population: [
          { code: { coding: [{ system: POP, code: 'initial-population' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Encounter?period-end=ge{{%periodStart}}&period-end=le{{%periodEnd}}' } },
          { code: { coding: [{ system: POP, code: 'measure-population-exclusion' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Encounter?class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB' } },
          {
            extension: [{ url: 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-observation-unit', valueCode: 'min' }, { url: 'http://hl7.org/fhir/us/cqfmeasures/StructureDefinition/cqfm-aggregateMethod', valueCode: 'maximum' }],
            code: { coding: [{ system: POP, code: 'measure-observation' }] },
            criteria: { language: 'text/fhirpath', expression: 'Encounter.period.end - Encounter.period.start' },
          },
        ],
        stratifier: [{ id: 'month', criteria: { language: 'text/fhirpath', expression: 'Encounter.period' } }, { id: 'age', criteria: { language: 'text/fhirpath', expression: 'Patient.birthDate' } }],
      }],
    } as Measure;
    expect((await t.http.put('/fhir/Measure/stay-by-month').set('Content-Type', FHIR).send(measure)).status).toBeLessThan(300);
    const ip = encounters.filter((e) => inPeriod(e.period?.end));
    const observed = ip.filter((e) => e.class.code !== 'AMB');
    const minutes = (e: Encounter) => (Date.parse(e.period!.end!) - Date.parse(e.period!.start!)) / 60_000;
    const report = await evaluate('stay-by-month');
    const g = report.group![0];
    expect(groupCounts(g)).toEqual({ 'initial-population': ip.length, 'measure-population': ip.length, 'measure-population-exclusion': ip.length - observed.length, 'measure-observation': observed.length });
    expect(g.measureScore).toMatchObject({ value: Math.max(...observed.map(minutes)), code: 'min' });
    const byMonth = strata(g, 'month');
    expect([...byMonth.keys()].sort()).toEqual([...new Set(ip.map((e) => month(e.period!.start!)))].sort());
    for (const [k, st] of byMonth) {
      const members = observed.filter((e) => month(e.period!.start!) === k);
      expect([k, st.counts['measure-observation'], st.score]).toEqual([k, members.length, members.length ? Math.max(...members.map(minutes)) : undefined]);
    }
    const byAge = strata(g, 'age');
    for (const [label] of BANDS) {
      const members = observed.filter((e) => band(patientOf(e.subject!.reference)) === label);
      expect([label, byAge.get(label)!.counts['measure-observation']]).toEqual([label, members.length]);
    }
  });

  it('checks criteria when a Measure is stored; refuses what it cannot evaluate with 400', async () => {
    const pop = (code: string, expression: string, language = 'application/x-fhir-query') => ({ code: { coding: [{ system: POP, code }] }, criteria: { language, expression } });
    const measure = (id: string, scoring: string, population: object[], extra: object = {}): Measure =>
      ({ resourceType: 'Measure', id, status: 'active', scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: scoring }] }, group: [{ population, ...extra }] }) as Measure;
    const put = (m: Measure) => t.http.put(`/fhir/Measure/${m.id}`).set('Content-Type', FHIR).send(m);
    // A population decided by the most recent Observation: its parts are checked when stored too.
    const mostRecent = (among: string, per: string, criteria: string) => ({
      ...pop('numerator', criteria),
      extension: [{ url: 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-population-most-recent', extension: [{ url: 'among', valueString: among }, { url: 'per', valueString: per }, { url: 'by', valueString: 'Observation.effective' }] }],
    });
    for (const [m, text] of [
      [measure('bad-param', 'proportion', [pop('initial-population', 'Patient?nonsense=1'), pop('numerator', 'Patient?')]), 'Measure.group[0].population[0].criteria'],
      [measure('bad-type', 'proportion', [pop('initial-population', 'Patient?'), pop('numerator', 'Observation?code=x')]), 'Measure.group[0].population[1].criteria'],
      [measure('bad-variable', 'proportion', [pop('initial-population', 'Patient?birthdate=ge{{%when}}'), pop('numerator', 'Patient?')]), '%when'],
      [measure('bad-recent-per', 'proportion', [pop('initial-population', 'Patient?'), mostRecent('Observation?code=http://loinc.org|85354-9', 'Observation.code', 'Observation?status=final')]), 'per \'Observation.code\''],
      [measure('bad-recent-among', 'proportion', [pop('initial-population', 'Patient?'), mostRecent('Observation?nonsense=1', 'Observation.subject', 'Observation?status=final')]), '(among)'],
      [measure('bad-recent-criteria', 'proportion', [pop('initial-population', 'Patient?'), mostRecent('Observation?code=http://loinc.org|85354-9', 'Observation.subject', 'Patient?gender=female')]), 'Measure.group[0].population[1].criteria'],
    ] as Array<[Measure, string]>) {
      const res = await put(m);
      expect([m.id, res.status, res.body.issue?.[0]?.diagnostics]).toEqual([m.id, 400, expect.stringContaining(text)]);
      expect((await t.http.get(`/fhir/Measure/${m.id}`)).status).toBe(404);
    }
    const { id: _id, ...unnamed } = measure('x', 'proportion', [pop('initial-population', 'Patient?'), pop('numerator', 'Patient?birthdate=notadate')]);
    const created = await t.http.post('/fhir/Measure').set('Content-Type', FHIR).send(unnamed);
    expect([created.status, created.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringContaining('Measure.group[0].population[1].criteria')]);
    // CQL, and FHIRPath beyond the forms this server computes, are stored (they may be for another
    // evaluator), but evaluating them here is refused, never ignored.
    const cql = measure('cql-cv', 'continuous-variable', [pop('initial-population', 'Initial Population', 'text/cql'), pop('measure-observation', 'Duration', 'text/cql')]);
    const observation = measure('fhirpath-observation', 'continuous-variable', [pop('initial-population', 'Patient?'), pop('measure-observation', 'Patient.name.count()', 'text/fhirpath')]);
    const stratifier = measure('fhirpath-stratifier', 'proportion', [pop('initial-population', 'Patient?'), pop('numerator', 'Patient?')], { stratifier: [{ criteria: { language: 'text/fhirpath', expression: 'Patient.name.given' } }] });
    for (const m of [cql, observation, stratifier]) expect((await put(m)).status).toBeLessThan(300);
    for (const [url, text] of [
      [`/fhir/Measure/cql-cv/$evaluate-measure?${PERIOD}`, 'text/cql is not supported'],
      [`/fhir/Measure/fhirpath-observation/$evaluate-measure?${PERIOD}`, 'Measure.group[0].population[1].criteria'],
      [`/fhir/Measure/fhirpath-stratifier/$evaluate-measure?${PERIOD}`, 'Measure.group[0].stratifier[0].criteria'],
      [`/fhir/Measure/slot-utilisation/$evaluate-measure?${PERIOD}&subject=Patient/x`, 'subject'],
      [`/fhir/Measure/appointment-no-show-rate/$evaluate-measure?${PERIOD}&practitioner=Organization/x`, 'practitioner'],
    ]) {
      const res = await t.http.get(url);
      expect([url, res.status, res.body.issue?.[0]?.diagnostics]).toEqual([url, 400, expect.stringContaining(text)]);
    }
  });
});
