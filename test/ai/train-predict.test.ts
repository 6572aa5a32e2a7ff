// $train → Library → $predict end to end on every engine, over the generator's appointment
// history (its planted no-show signal is documented in src/generate/scheduling.ts). The
// expectations are computed independently in-process from the same generated resources, so the
// test checks that the server reads the store, splits, fits and measures exactly as the pure
// functions do, and that $predict uses the stored model and the same features.
import type { Appointment, Library, Resource, RiskAssessment } from '@medplum/fhirtypes';
import { trainAndEvaluate } from '../../src/ai/trained/evaluate';
import { predictLogistic } from '../../src/ai/trained/logistic';
import { METRIC_EXTENSION, metricsOf, modelOf } from '../../src/ai/trained/model-library';
import { appointmentFacts, noShowExamples, noShowFeatures, patientFacts, type AppointmentFacts, type PatientFacts, type Position } from '../../src/ai/trained/no-show';
import { locationPosition } from '../../src/ai/trained/store-data';
import { generated, store } from '../analytics/load';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { postParameters, trainJob } from '../support/train-job';

const FHIR = 'application/fhir+json';
jest.setTimeout(300_000);

// Only what the no-show target reads: the Patients of 150 generated patients and their Appointments
// with a known outcome (cancelled and future ones are neither cases nor history), to keep the load
// small on FerretDB; about 700 cases, a little above what $train accepts.
const data = generated(150, 7);
const resources: Resource[] = [
  ...data.shared.filter((r) => r.resourceType === 'Location'),
  ...data.patients.flat().filter((r) => r.resourceType === 'Patient' || (r.resourceType === 'Appointment' && (r.status === 'noshow' || r.status === 'fulfilled'))),
];

function expected() {
  const patients = new Map<string, PatientFacts>();
  const locations = new Map<string, Position>();
  const byPatient = new Map<string, AppointmentFacts[]>();
  for (const r of resources) {
    if (r.resourceType === 'Patient') patients.set(r.id!, patientFacts(r));
    if (r.resourceType === 'Location') locations.set(r.id!, locationPosition(r)!);
    const f = r.resourceType === 'Appointment' ? appointmentFacts(r) : undefined;
    if (f) byPatient.set(f.patientId, [...(byPatient.get(f.patientId) ?? []), f]);
  }
  const examples = noShowExamples(byPatient, patients, locations);
  return { patients, locations, byPatient, ...trainAndEvaluate(examples.map((e) => ({ patientId: e.patientId, features: e.features, label: e.label, baseline: e.priorNoShowRate })), { holdout: 0.3, seed: 1, lambda: 1 }) };
}

describeEachEngine('$train and $predict (no-show)', (factory) => {
  let t: TestServer;
  let library: Library;
  const truth = expected();
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms' } });
    await store(t.server, resources);
  });
  afterAll(() => t.close());

  const post = (url: string, parameter: object[], headers: Record<string, string> = {}) => postParameters(t, url, parameter, headers);
  const job = (parameter: object[]) => trainJob(t, parameter);

  it('trains as a job and stores the model as a Library with held-out metrics', async () => {
    const done = await job([{ name: 'target', valueCode: 'no-show' }]);
    expect(done.status).toBe(200);
    library = done.body as Library;
    expect(library).toMatchObject({ resourceType: 'Library', name: 'no-show-model', status: 'active', id: expect.any(String), version: expect.any(String) });
    expect((await t.http.get(`/fhir/Library/${library.id}`)).status).toBe(200);
    const m = metricsOf(library)!;
    const e = truth.metrics;
    expect(m.trainingCases).toBe(e.trainingCases);
    expect(m.heldOutCases).toBe(e.heldOutCases);
    expect(m.auc).toBeCloseTo(e.auc, 9);
    expect([m.aucLow, m.aucHigh]).toEqual([expect.closeTo(e.aucLow, 9), expect.closeTo(e.aucHigh, 9)]);
    expect(m.brier).toBeCloseTo(e.brier, 9);
    expect(m.baselineAuc).toBeCloseTo(e.baselineAuc, 9);
    expect(m.calibration.reduce((s, b) => s + b.cases, 0)).toBe(m.heldOutCases);
    expect(m.aucLow).toBeLessThanOrEqual(m.auc);
    expect(m.aucHigh).toBeGreaterThanOrEqual(m.auc);
    const auc = library.extension?.find((x) => x.url === METRIC_EXTENSION && x.extension?.[0].valueCode === 'auc')?.extension?.[1].valueDecimal;
    expect(auc).toBeCloseTo(e.auc, 5);
    // The planted effects are recovered with their signs: longer lead and earlier no-shows raise the risk.
    const model = modelOf(library)!;
    const coef = (code: string) => model.logistic.coefficients[model.features.findIndex((f) => f.code === code)];
    expect(coef('lead-time')).toBeGreaterThan(0);
    expect(coef('prior-no-shows')).toBeGreaterThan(0);
    expect(coef('prior-attended')).toBeLessThan(0);
    expect(model.logistic.coefficients).toEqual(truth.model.coefficients.map((c) => expect.closeTo(c, 9)));
    expect(library.parameter?.map((p) => p.name)).toEqual([...model.features.map((f) => f.code), 'probability']);
    expect(Date.parse(library.effectivePeriod!.start!)).toBeLessThan(Date.parse(library.effectivePeriod!.end!));
  });

  it('predicts an Appointment with the stored model, naming it and the top features', async () => {
    const appointment = resources.find((r): r is Appointment => r.resourceType === 'Appointment' && r.status === 'noshow' && !!r.created)!;
    for (const model of [library.id!, `Library/${library.id}`, 'no-show-model']) {
      const res = await t.http.get(`/fhir/Appointment/${appointment.id}/$predict?model=${encodeURIComponent(model)}`);
      expect(res.status).toBe(200);
      const ra = res.body as RiskAssessment;
      const facts = appointmentFacts(appointment)!;
      const row = noShowFeatures(facts, truth.patients.get(facts.patientId), truth.byPatient.get(facts.patientId)!, truth.locations)!.features;
      expect(ra.resourceType).toBe('RiskAssessment');
      expect(ra.prediction![0].probabilityDecimal).toBeCloseTo(predictLogistic(modelOf(library)!.logistic, row), 3);
      expect(ra.method?.text).toBe(`Library/${library.id}`);
      expect(ra.basis?.map((b) => b.reference)).toEqual([`Library/${library.id}`, `Appointment/${appointment.id}`, `Patient/${facts.patientId}`]);
      expect(ra.prediction![0].extension).toHaveLength(3);
      expect(ra.prediction![0].rationale).toMatch(/Top contributions/);
    }
  });

  it('answers bad input with 4xx OperationOutcomes that say what to fix', async () => {
    const appointment = resources.find((r): r is Appointment => r.resourceType === 'Appointment')!;
    const unknown = await t.http.get(`/fhir/Appointment/${appointment.id}/$predict?model=nothing-like-this`);
    expect([unknown.status, unknown.body.resourceType, unknown.body.issue[0].diagnostics]).toEqual([404, 'OperationOutcome', expect.stringMatching(/no Library with id or name 'nothing-like-this'/)]);
    expect((await t.http.get(`/fhir/Appointment/${appointment.id}/$predict`)).status).toBe(400);
    const notAModel = await t.http.put('/fhir/Library/plain').set('Content-Type', FHIR).send({ resourceType: 'Library', id: 'plain', status: 'active', type: { text: 'x' } });
    expect(notAModel.status).toBeLessThan(300);
    expect((await t.http.get(`/fhir/Appointment/${appointment.id}/$predict?model=plain`)).body.issue[0].diagnostics).toMatch(/holds no model made by \$train/);
    // An Appointment without `created` has no lead time: 422 naming what is missing.
    const bare = await t.http.put('/fhir/Appointment/bare').set('Content-Type', FHIR).send({ resourceType: 'Appointment', id: 'bare', status: 'booked', start: appointment.start, end: appointment.end, participant: appointment.participant!.slice(0, 1) });
    expect(bare.status).toBeLessThan(300);
    const missing = await t.http.get(`/fhir/Appointment/bare/$predict?model=${library.id}`);
    expect([missing.status, missing.body.issue[0].diagnostics]).toEqual([422, expect.stringMatching(/missing Appointment.created/)]);
    // $train: an unknown target and bad settings are refused at kick-off; sync calls are refused.
    const target = await post('/fhir/$train', [{ name: 'target', valueCode: 'mortality' }], { Prefer: 'respond-async' });
    expect([target.status, target.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/use one of: no-show, readmission/)]);
    expect((await post('/fhir/$train', [{ name: 'target', valueCode: 'no-show' }, { name: 'holdout', valueDecimal: 0.9 }], { Prefer: 'respond-async' })).status).toBe(400);
    expect((await post('/fhir/$train', [{ name: 'target', valueCode: 'no-show' }])).status).toBe(400);
    const backwards = await post('/fhir/$train', [{ name: 'target', valueCode: 'no-show' }, { name: 'start', valueDate: '2025-01-01' }, { name: 'end', valueDate: '2024' }], { Prefer: 'respond-async' });
    expect([backwards.status, backwards.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'end': must not be before start/)]);
    // Too little data (a training period of one month): the job fails with the reason, no Library.
    const before = (await t.http.get('/fhir/Library?_summary=count')).body.total;
    const small = await job([{ name: 'target', valueCode: 'no-show' }, { name: 'start', valueDate: '2024-03-01' }, { name: 'end', valueDate: '2024-03' }]);
    expect([small.status, small.body.issue[0].diagnostics]).toEqual([422, expect.stringMatching(/too little data .*training cases \(need 200\)/)]);
    expect((await t.http.get('/fhir/Library?_summary=count')).body.total).toBe(before);
  });
});
