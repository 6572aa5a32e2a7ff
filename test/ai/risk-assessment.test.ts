// Patient/[id]/$risk-assessment over HTTP on every engine: scores from stored resources (latest
// vitals, asOf cut-off, blood pressure panels), the RiskAssessment's shape, persist, the access
// policy applied to what is scored, and the 4xx answers for bad input.
import type { RiskAssessment } from '@medplum/fhirtypes';
import { localKeySource } from '../../src/auth/verify-token';
import { RISK_CONFIDENCE_EXTENSION, RISK_SCORE_EXTENSION } from '../../src/ai/risk/risk-assessment';
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE } from '../support/tokens';

const FHIR = 'application/fhir+json';
const VITALS = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];
const vital = (id: string, code: string, value: number, unit: string, at: string) => ({
  resourceType: 'Observation', id, status: 'final', category: VITALS, subject: { reference: 'Patient/ann' }, effectiveDateTime: at,
  code: { coding: [{ system: 'http://loinc.org', code }] }, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});
const condition = (id: string, snomed: string, icd10: string) => ({
  resourceType: 'Condition', id, subject: { reference: 'Patient/ann' }, onsetDateTime: '2019-05-01',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: snomed }, { system: 'http://hl7.org/fhir/sid/icd-10', code: icd10 }] },
});

const SEED = [
  { resourceType: 'Patient', id: 'ann', gender: 'female', birthDate: '1948-02-10' },
  { resourceType: 'Patient', id: 'bare', gender: 'male' },
  condition('ann-af', '49436004', 'I48.9'),
  condition('ann-htn', '38341003', 'I10'),
  condition('ann-hf', '84114007', 'I50.9'),
  // An older, normal set and a later, abnormal one: the latest wins; asOf goes back to the first.
  vital('rr-old', '9279-1', 16, '/min', '2025-03-01T08:00:00Z'),
  vital('rr-new', '9279-1', 23, '/min', '2025-06-01T08:00:00Z'),
  vital('spo2', '2708-6', 95, '%', '2025-06-01T08:00:00Z'),
  vital('hr', '8867-4', 112, '/min', '2025-06-01T08:00:00Z'),
  vital('temp', '8310-5', 38.4, 'Cel', '2025-06-01T08:00:00Z'),
  {
    resourceType: 'Observation', id: 'bp', status: 'final', category: VITALS, subject: { reference: 'Patient/ann' }, effectiveDateTime: '2025-06-01T08:00:00Z',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 98, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 60, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
  },
  { resourceType: 'Encounter', id: 'ann-ed', status: 'finished', class: { code: 'EMER' }, subject: { reference: 'Patient/ann' }, period: { start: '2025-01-10T10:00:00Z', end: '2025-01-10T16:00:00Z' } },
  { resourceType: 'Encounter', id: 'ann-stay', status: 'finished', class: { code: 'IMP' }, subject: { reference: 'Patient/ann' }, period: { start: '2025-04-01T10:00:00Z', end: '2025-04-08T09:00:00Z' }, hospitalization: { admitSource: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/admit-source', code: 'emd' }] } } },
];

describeEachEngine('$risk-assessment', (factory) => {
  let t: TestServer;
  let admin: string;
  let labOnly: string;
  const get = (url: string, token = admin) => t.http.get(url).set({ Authorization: `Bearer ${token}` });
  const post = (url: string, body: unknown, token = admin) => t.http.post(url).set({ Authorization: `Bearer ${token}`, 'Content-Type': FHIR }).send(JSON.stringify(body));
  const prediction = (r: RiskAssessment) => r.prediction![0];
  const points = (r: RiskAssessment) => prediction(r).extension!.find((e) => e.url === RISK_SCORE_EXTENSION)!.valueInteger;
  const confidence = (r: RiskAssessment) => prediction(r).extension!.find((e) => e.url === RISK_CONFIDENCE_EXTENSION)!.valueDecimal;

  beforeAll(async () => {
    const issuer = await makeIssuer({ now: () => Date.parse('2025-07-01T00:00:00Z') });
    t = await makeTestServer({ engine: await factory.make(), clock: fixedClock('2025-07-01T00:00:00Z'), env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    admin = await issuer.token({ scope: 'system/*.*', client_id: 'ops' });
    labOnly = await issuer.token({ scope: 'patient/Patient.rs patient/Condition.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', patient: 'ann' });
    for (const r of SEED) expect([r.id, (await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set({ Authorization: `Bearer ${admin}`, 'Content-Type': FHIR }).send(JSON.stringify(r))).status]).toEqual([r.id, 201]);
  });
  afterAll(() => t.close());

  it('scores NEWS2 from the latest vital signs, with basis, points, missing inputs and the source', async () => {
    const res = await get('/fhir/Patient/ann/$risk-assessment?model=news2');
    expect(res.status).toBe(200);
    const r = res.body as RiskAssessment;
    expect(r.resourceType).toBe('RiskAssessment');
    // RR 23 (2) + SpO2 95 (1) + SBP 98 (2) + pulse 112 (2) + 38.4 C (1) = 8; air/oxygen and consciousness missing
    expect(points(r)).toBe(8);
    expect(r.status).toBe('preliminary');
    expect(confidence(r)).toBeCloseTo(5 / 7, 2);
    expect(r.basis!.map((b) => b.reference).sort()).toEqual(['Observation/bp', 'Observation/hr', 'Observation/rr-new', 'Observation/spo2', 'Observation/temp']);
    expect(prediction(r).qualitativeRisk!.coding![0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'high' });
    expect(prediction(r).rationale).toMatch(/^National Early Warning Score 2 \(NEWS2\): 8 points/);
    expect(r.method!.coding![0].code).toBe('news2');
    expect(r.note!.map((n) => n.text).join('\n')).toMatch(/Royal College of Physicians/);
    expect(r.note!.filter((n) => /^Missing input/.test(n.text!))).toHaveLength(2);
    expect(r.subject!.reference).toBe('Patient/ann');
  });

  it('scores the record as it stood at asOf', async () => {
    const r = (await get('/fhir/Patient/ann/$risk-assessment?model=news2&asOf=2025-03-15')).body as RiskAssessment;
    expect(points(r)).toBe(0);
    expect(r.basis!.map((b) => b.reference)).toEqual(['Observation/rr-old']);
    expect(r.occurrenceDateTime).toBe('2025-03-15T23:59:59.999Z');
  });

  it('scores CHA2DS2-VASc with the published probability, and persists it on request', async () => {
    const res = await post('/fhir/Patient/ann/$risk-assessment', { resourceType: 'Parameters', parameter: [{ name: 'model', valueCode: 'cha2ds2-vasc' }, { name: 'persist', valueBoolean: true }] });
    expect(res.status).toBe(201);
    const r = res.body as RiskAssessment;
    // age 77 (2) + female (1) + hypertension (1) + heart failure (1) = 5: 6.7 %/year
    expect(points(r)).toBe(5);
    expect(prediction(r).probabilityDecimal).toBeCloseTo(0.067, 5);
    expect(r.status).toBe('final');
    expect(r.basis!.map((b) => b.reference).sort()).toEqual(['Condition/ann-hf', 'Condition/ann-htn']);
    expect(r.id).toBeDefined();
    const stored = await get(`/fhir/RiskAssessment/${r.id}`);
    expect(stored.status).toBe(200);
    expect(points(stored.body)).toBe(5);
    // GET must not change data (R4 operations.html): storing needs POST.
    const viaGet = await get('/fhir/Patient/ann/$risk-assessment?model=cha2ds2-vasc&persist=true');
    expect(viaGet.status).toBe(405);
    expect(JSON.stringify(viaGet.body)).toContain('POST');
  });

  it('scores Charlson and LACE from Conditions and Encounters', async () => {
    const c = (await get('/fhir/Patient/ann/$risk-assessment?model=charlson')).body as RiskAssessment;
    // heart failure 1 + age 77 (3) = 4
    expect(points(c)).toBe(4);
    expect(prediction(c).probabilityDecimal).toBeCloseTo(1 - 0.983 ** Math.exp(3.6), 4);
    const l = (await get('/fhir/Patient/ann/$risk-assessment?model=lace')).body as RiskAssessment;
    // 7-day stay (5) + emergent (3) + Charlson 1 (1) + one ED visit within 6 months (1) = 10
    expect(points(l)).toBe(10);
    expect(l.basis!.map((b) => b.reference).sort()).toEqual(['Condition/ann-hf', 'Encounter/ann-ed', 'Encounter/ann-stay']);
  });

  it('scores only what the caller may see (the access policy applies)', async () => {
    const res = await get('/fhir/Patient/ann/$risk-assessment?model=news2', labOnly);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/vital-sign Observation/);
    const hidden = await get('/fhir/Patient/bare/$risk-assessment?model=news2', labOnly);
    expect(hidden.status).toBe(404);
  });

  it('answers bad input 4xx with an OperationOutcome that says what is missing', async () => {
    const unknown = await get('/fhir/Patient/ann/$risk-assessment?model=apache-ii');
    expect([unknown.status, unknown.body.resourceType]).toEqual([400, 'OperationOutcome']);
    expect(unknown.body.issue[0].diagnostics).toMatch(/charlson, cha2ds2-vasc, lace, news2/);
    const noModel = await get('/fhir/Patient/ann/$risk-assessment');
    expect(noModel.status).toBe(400);
    const noData = await get('/fhir/Patient/bare/$risk-assessment?model=lace');
    expect([noData.status, noData.body.issue[0].code]).toEqual([422, 'required']);
    expect(noData.body.issue[0].diagnostics).toMatch(/inpatient Encounter/);
    const noVitals = await get('/fhir/Patient/bare/$risk-assessment?model=news2');
    expect(noVitals.status).toBe(422);
    const badDate = await get('/fhir/Patient/ann/$risk-assessment?model=news2&asOf=2025-13-45');
    expect(badDate.status).toBe(400);
    const missingPatient = await get('/fhir/Patient/nobody/$risk-assessment?model=news2');
    expect(missingPatient.status).toBe(404);
  });
});
