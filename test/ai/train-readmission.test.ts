// $train → Library → Patient/[id]/$predict end to end on every engine for the 30-day readmission
// target, over the generator's hospital stays (its planted readmission signal is documented in
// src/generate/readmission.ts and docs/ai.md). The expectations are computed independently
// in-process from the same generated resources: the server must read the store, split, fit and
// measure exactly as the pure functions do, beat the LACE index, and predict with the stored model.
import type { Library, Patient, Resource, RiskAssessment } from '@medplum/fhirtypes';
import { trainAndEvaluate } from '../../src/ai/trained/evaluate';
import { predictLogistic } from '../../src/ai/trained/logistic';
import { metricsOf, modelLibrary, modelOf } from '../../src/ai/trained/model-library';
import { NO_SHOW_FEATURES } from '../../src/ai/trained/no-show';
import { conditionFacts, encounterFacts, readmissionExamples, readmissionFeatures, readmissionPatient, type ConditionFacts, type EncounterFacts, type ReadmissionPatient } from '../../src/ai/trained/readmission';
import { generated, store } from '../analytics/load';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { postParameters, trainJob } from '../support/train-job';

const FHIR = 'application/fhir+json';
jest.setTimeout(300_000);

// 2,000 generated patients over 5 years; only those with a hospital stay, and only what the target
// reads (Patients, inpatient and emergency Encounters, and the Conditions the Charlson index counts
// among those the generator makes: heart failure I50, COPD J44, asthma J45, diabetes E11, CKD N18),
// to keep the load small on FerretDB.
const CHARLSON_ICD10 = /^(I50|J44|J45|E11|N18)/;
const all = generated(2000, 7, 5).patients;
const stayed = all.filter((rs) => rs.some((r) => r.resourceType === 'Encounter' && r.class?.code === 'IMP'));
const resources: Resource[] = stayed.flat().filter((r) =>
  r.resourceType === 'Patient' ||
  (r.resourceType === 'Condition' && !!r.code?.coding?.some((c) => c.system?.includes('icd-10') && CHARLSON_ICD10.test(c.code ?? ''))) ||
  (r.resourceType === 'Encounter' && ['IMP', 'EMER'].includes(r.class?.code ?? '')));

function expected() {
  const patients = new Map<string, ReadmissionPatient>();
  const encounters = new Map<string, EncounterFacts[]>();
  const conditions = new Map<string, ConditionFacts[]>();
  for (const r of resources) {
    if (r.resourceType === 'Patient') patients.set(r.id!, readmissionPatient(r));
    const e = r.resourceType === 'Encounter' ? encounterFacts(r) : undefined;
    if (e) encounters.set(e.patientId, [...(encounters.get(e.patientId) ?? []), e]);
    const c = r.resourceType === 'Condition' ? conditionFacts(r) : undefined;
    if (c) conditions.set(c.patientId, [...(conditions.get(c.patientId) ?? []), c]);
  }
  const examples = readmissionExamples(encounters, conditions, patients);
  return { patients, encounters, conditions, examples, ...trainAndEvaluate(examples.map((e) => ({ patientId: e.patientId, features: e.features, label: e.label, baseline: e.lace })), { holdout: 0.3, seed: 1, lambda: 1 }) };
}

describeEachEngine('$train and Patient/$predict (30-day readmission)', (factory) => {
  let t: TestServer;
  let library: Library;
  const truth = expected();
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms' } });
    await store(t.server, resources);
  }, 900_000);
  afterAll(() => t.close());

  const post = (url: string, parameter: object[], headers: Record<string, string> = {}) => postParameters(t, url, parameter, headers);
  const job = (parameter: object[]) => trainJob(t, parameter);

  it('trains on the stored stays, measures on held-out patients and beats the LACE index', async () => {
    expect(truth.examples.filter((e) => e.label === 1).length).toBeGreaterThan(30);
    const done = await job([{ name: 'target', valueCode: 'readmission' }]);
    expect(done.status).toBe(200);
    library = done.body as Library;
    expect(library).toMatchObject({ resourceType: 'Library', name: 'readmission-model', title: '30-day readmission', status: 'active' });
    expect(library.description).toMatch(/the baseline \(the LACE index \(van Walraven 2010\)\) has AUC/);
    const m = metricsOf(library)!;
    const e = truth.metrics;
    expect([m.trainingCases, m.heldOutCases, m.heldOutPositives]).toEqual([e.trainingCases, e.heldOutCases, e.heldOutPositives]);
    expect(m.auc).toBeCloseTo(e.auc, 9);
    expect(m.baselineAuc).toBeCloseTo(e.baselineAuc, 9);
    expect(m.brier).toBeCloseTo(e.brier, 9);
    expect(m.calibration.reduce((s, b) => s + b.cases, 0)).toBe(m.heldOutCases);
    // The model must beat LACE on the held-out patients; LACE itself must carry signal.
    expect(m.auc).toBeGreaterThan(m.baselineAuc);
    expect(m.baselineAuc).toBeGreaterThan(0.55);
    const model = modelOf(library)!;
    const coef = (code: string) => model.logistic.coefficients[model.features.findIndex((f) => f.code === code)];
    // The planted effects are recovered with their signs.
    expect(coef('length-of-stay')).toBeGreaterThan(0);
    expect(coef('charlson')).toBeGreaterThan(0);
    expect(coef('admissions-12-months')).toBeGreaterThan(0);
    expect(model.logistic.coefficients).toEqual(truth.model.coefficients.map((c) => expect.closeTo(c, 9)));
  });

  it('predicts readmission after the latest stay of a Patient, naming the model, the stay and the top features', async () => {
    const patient = stayed[0].find((r): r is Patient => r.resourceType === 'Patient')!;
    const stays = truth.encounters.get(patient.id!)!.filter((e) => e.classCode === 'IMP' && !e.diedInHospital).sort((a, b) => b.end - a.end);
    const row = readmissionFeatures(stays[0], truth.patients.get(patient.id!), truth.encounters.get(patient.id!)!, truth.conditions.get(patient.id!) ?? [])!.features;
    for (const model of [library.id!, 'readmission-model']) {
      const res = await t.http.get(`/fhir/Patient/${patient.id}/$predict?model=${model}`);
      expect(res.status).toBe(200);
      const ra = res.body as RiskAssessment;
      expect(ra.prediction![0].probabilityDecimal).toBeCloseTo(predictLogistic(modelOf(library)!.logistic, row), 3);
      expect(ra.method?.text).toBe(`Library/${library.id}`);
      expect(ra.basis?.map((b) => b.reference)).toEqual([`Library/${library.id}`, `Encounter/${stays[0].id}`, `Patient/${patient.id}`]);
      expect(ra.prediction![0].whenPeriod).toEqual({ start: new Date(stays[0].end).toISOString(), end: new Date(stays[0].end + 30 * 86_400_000).toISOString() });
      expect(ra.prediction![0].outcome?.text).toMatch(/readmission within 30 days/);
      expect(ra.prediction![0].extension).toHaveLength(3);
    }
  });

  it('answers bad input with 4xx OperationOutcomes that say what to fix', async () => {
    const patient = stayed[0].find((r): r is Patient => r.resourceType === 'Patient')!;
    const unknown = await t.http.get(`/fhir/Patient/${patient.id}/$predict?model=no-such-model`);
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringMatching(/no Library with id or name 'no-such-model'/)]);
    // A no-show model asked about a Patient, and a readmission model asked about an Appointment.
    const k = NO_SHOW_FEATURES.length;
    const noShow = modelLibrary({ target: 'no-show', title: 'x', features: NO_SHOW_FEATURES, baseline: 'x', model: { intercept: 0, coefficients: new Array<number>(k).fill(0), means: new Array<number>(k).fill(0), sds: new Array<number>(k).fill(1), lambda: 1, iterations: 0 }, metrics: metricsOf(library)!, period: { start: '2024-01-01', end: '2024-12-31' }, trainedAt: new Date('2025-01-01') });
    expect((await t.http.put('/fhir/Library/no-show-for-test').set('Content-Type', FHIR).send({ ...noShow, id: 'no-show-for-test' })).status).toBeLessThan(300);
    const wrong = await t.http.get(`/fhir/Patient/${patient.id}/$predict?model=no-show-for-test`);
    expect([wrong.status, wrong.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/predicts no-show of an Appointment: call Appointment\/\[id\]\/\$predict/)]);
    const appointment = { resourceType: 'Appointment', id: 'readmission-test', status: 'booked', start: '2030-01-07T09:00:00Z', end: '2030-01-07T09:30:00Z', created: '2029-12-01T09:00:00Z', participant: [{ actor: { reference: `Patient/${patient.id}` }, status: 'accepted' }] };
    expect((await t.http.put('/fhir/Appointment/readmission-test').set('Content-Type', FHIR).send(appointment)).status).toBeLessThan(300);
    const other = await t.http.get(`/fhir/Appointment/readmission-test/$predict?model=${library.id}`);
    expect([other.status, other.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/predicts readmission of a Patient: call Patient\/\[id\]\/\$predict/)]);
    // A patient who was never in hospital, and one without a birth date: 422 naming what is missing.
    expect((await t.http.put('/fhir/Patient/never-admitted').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'never-admitted', birthDate: '1950-01-01' })).status).toBeLessThan(300);
    const none = await t.http.get(`/fhir/Patient/never-admitted/$predict?model=${library.id}`);
    expect([none.status, none.body.issue[0].diagnostics]).toEqual([422, expect.stringMatching(/no finished inpatient stay/)]);
    expect((await t.http.put('/fhir/Patient/no-birth').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'no-birth' })).status).toBeLessThan(300);
    const noBirth = await t.http.get(`/fhir/Patient/no-birth/$predict?model=${library.id}`);
    expect([noBirth.status, noBirth.body.issue[0].diagnostics]).toEqual([422, expect.stringMatching(/missing Patient.birthDate/)]);
    // Too little data (stays admitted in one month): the job fails with the reason, no Library.
    const before = (await t.http.get('/fhir/Library?_summary=count')).body.total;
    const small = await job([{ name: 'target', valueCode: 'readmission' }, { name: 'start', valueDate: '2024-03-01' }, { name: 'end', valueDate: '2024-03' }]);
    expect([small.status, small.body.issue[0].diagnostics]).toEqual([422, expect.stringMatching(/\$train readmission: too little data .*training cases \(need 200\)/)]);
    expect((await t.http.get('/fhir/Library?_summary=count')).body.total).toBe(before);
  });
});
