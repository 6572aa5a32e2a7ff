// The scores and CDS services over the generator's records, on every engine: every patient and
// model answers 200 or a 422 that names what is missing (never a 5xx), every basis reference is the
// patient's own stored resource, and the interaction the generator plants on purpose (warfarin
// with an NSAID, src/generate/medications.ts) is found for exactly the patients who have it.
import type { MedicationRequest, Resource, RiskAssessment } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../../src/generate';
import { keyOf, store } from '../analytics/load';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

jest.setTimeout(240_000);

const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const onWarfarinNow = (record: Resource[]) => record.some((r) => r.resourceType === 'MedicationRequest' && (r as MedicationRequest).status === 'active'
  && (r as MedicationRequest).medicationCodeableConcept?.coding?.some((c) => c.system === RX && c.code === '11289'));
/** Generated in memory until a patient on warfarin is found (about 1 in 400 is; at most 3,000
 * are drawn), plus the first two others; only their own records are stored. */
function sample(): { patients: Resource[][]; all: Resource[] } {
  const withWarfarin: Resource[][] = [];
  const others: Resource[][] = [];
  let drawn = 0;
  for (const item of generatePatientRecords({ patients: 3000, seed: 4242, years: 3 })) {
    if (item.shared) continue;
    drawn++;
    const record = item.patient.resources as Resource[];
    if (onWarfarinNow(record)) withWarfarin.push(record);
    else if (others.length < 2) others.push(record);
    if (withWarfarin.length === 1 || drawn === 3000) break;
  }
  const patients = [...withWarfarin, ...others];
  return { patients, all: patients.flat() };
}
const data = sample();

describeEachEngine('AI over generated records', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    await store(t.server, data.all);
  });
  afterAll(() => t.close());

  it('scores every patient with every model, or says what is missing', async () => {
    const statuses: Record<string, number> = {};
    for (const record of data.patients) {
      const patient = record.find((r) => r.resourceType === 'Patient')!;
      const own = new Set(record.map(keyOf));
      for (const model of ['charlson', 'cha2ds2-vasc', 'lace', 'news2']) {
        const res = await t.http.get(`/fhir/Patient/${patient.id}/$risk-assessment?model=${model}`);
        statuses[`${model} ${res.status}`] = (statuses[`${model} ${res.status}`] ?? 0) + 1;
        if (res.status === 422) {
          expect(res.body.issue[0].diagnostics).toMatch(/has no/);
          continue;
        }
        expect([model, res.status]).toEqual([model, 200]);
        const assessment = res.body as RiskAssessment;
        for (const b of assessment.basis ?? []) expect(own.has(b.reference!)).toBe(true);
        if (model === 'news2') expect(assessment.status).toBe('preliminary'); // no oxygen or consciousness in generated data
      }
    }
    // Every generated patient has a birth date: Charlson and CHA2DS2-VASc always answer.
    expect(statuses['charlson 200']).toBe(data.patients.length);
    expect(statuses['cha2ds2-vasc 200']).toBe(data.patients.length);
  });

  it('finds the planted warfarin + NSAID interaction for exactly the patients on warfarin', async () => {
    let onWarfarin = 0;
    for (const record of data.patients) {
      const patient = record.find((r) => r.resourceType === 'Patient')!;
      const warfarin = onWarfarinNow(record);
      onWarfarin += warfarin ? 1 : 0;
      const draft = { resourceType: 'MedicationRequest', id: 'draft-ibuprofen', status: 'draft', intent: 'order', subject: { reference: `Patient/${patient.id}` }, medicationCodeableConcept: { coding: [{ system: RX, code: '5640' }] } };
      const res = await t.http.post('/cds-services/nimbus-medication-safety-sign').send({
        hook: 'order-sign', hookInstance: `gen-${patient.id}`, context: { userId: 'Practitioner/x', patientId: patient.id, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] } },
      });
      expect(res.status).toBe(200);
      const found = res.body.cards.some((c: { summary: string }) => c.summary.startsWith('Warfarin with an NSAID'));
      expect([patient.id, found]).toEqual([patient.id, warfarin]);
      const view = await t.http.post('/cds-services/nimbus-patient-risk').send({ hook: 'patient-view', hookInstance: `view-${patient.id}`, context: { userId: 'Practitioner/x', patientId: patient.id } });
      expect(view.status).toBe(200);
    }
    expect(onWarfarin).toBeGreaterThan(0);
  });
});
