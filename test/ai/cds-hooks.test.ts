// CDS Hooks 2.0 on every engine, over real HTTP: discovery, patient-view risk cards and
// order-select/order-sign medication safety cards — with the prefetch sent, read from this server,
// and read from a second real FHIR server on loopback through fhirServer + fhirAuthorization —,
// every response checked against the shapes of the specification's JSON examples
// (cds-hooks.hl7.org 2.0: "Discovery Example", "Card Attributes", "Feedback"), feedback storage
// and bad input answered with the status the specification names.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { localKeySource } from '../../src/auth/verify-token';
import { FEEDBACK } from '../../src/ai/cds/feedback';
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE } from '../support/tokens';

const NOW = '2025-07-01T12:00:00Z';
const FHIR = 'application/fhir+json';
const LOINC = 'http://loinc.org';
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const VITALS = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }];

const condition = (id: string, patient: string, snomed: string, icd10: string) => ({
  resourceType: 'Condition', id, subject: { reference: `Patient/${patient}` }, onsetDateTime: '2019-05-01',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: snomed }, { system: 'http://hl7.org/fhir/sid/icd-10', code: icd10 }] },
});
const vital = (id: string, code: string, value: number, unit: string, at: string) => ({
  resourceType: 'Observation', id, status: 'final', category: VITALS, subject: { reference: 'Patient/pat' }, effectiveDateTime: at,
  code: { coding: [{ system: LOINC, code }] }, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});
const medication = (id: string, patient: string, rxcui: string, status: string, display?: string) => ({
  resourceType: 'MedicationRequest', id, status, intent: 'order', subject: { reference: `Patient/${patient}` },
  medicationCodeableConcept: { coding: [{ system: RX, code: rxcui, ...(display ? { display } : {}) }], ...(display ? { text: display } : {}) },
});

const PATIENT_VIEW_DATA = [
  { resourceType: 'Patient', id: 'pat', gender: 'female', birthDate: '1948-02-10' },
  condition('pat-af', 'pat', '49436004', 'I48.9'),
  condition('pat-htn', 'pat', '38341003', 'I10'),
  condition('pat-dm', 'pat', '44054006', 'E11.9'),
  medication('pat-metformin', 'pat', '861007', 'active', 'metformin hydrochloride 500 MG Oral Tablet'),
  vital('rr', '9279-1', 23, '/min', '2025-07-01T08:00:00Z'),
  vital('spo2', '2708-6', 95, '%', '2025-07-01T08:00:00Z'),
  vital('hr', '8867-4', 112, '/min', '2025-07-01T08:00:00Z'),
  vital('temp', '8310-5', 38.4, 'Cel', '2025-07-01T08:00:00Z'),
  vital('rr-last-year', '9279-1', 30, '/min', '2024-07-01T08:00:00Z'),
  {
    resourceType: 'Observation', id: 'bp', status: 'final', category: VITALS, subject: { reference: 'Patient/pat' }, effectiveDateTime: '2025-07-01T08:00:00Z',
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    component: [{ code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 98, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }],
  },
  { resourceType: 'Observation', id: 'a1c', status: 'final', subject: { reference: 'Patient/pat' }, effectiveDateTime: '2024-10-01T09:00:00Z', code: { coding: [{ system: LOINC, code: '4548-4' }] }, valueQuantity: { value: 7.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } },
];

const ORDER_DATA = [
  { resourceType: 'Patient', id: 'rx', gender: 'male', birthDate: '1950-01-01' },
  medication('rx-warfarin', 'rx', '11289', 'active', 'warfarin'),
  medication('rx-simva', 'rx', '36567', 'active', 'simvastatin'),
  medication('rx-old-nsaid', 'rx', '7258', 'stopped', 'naproxen'),
  {
    resourceType: 'AllergyIntolerance', id: 'rx-pcn', patient: { reference: 'Patient/rx' }, criticality: 'high',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' }], text: 'Allergy to penicillin' },
  },
];

const draft = (id: string, rxcui: string, display: string) => ({ ...medication(id, 'rx', rxcui, 'draft', display) });
const DRAFTS: Bundle = {
  resourceType: 'Bundle', type: 'collection',
  entry: [
    draft('d-ibu', '5640', 'ibuprofen 400 MG'),
    draft('d-amox', '723', 'amoxicillin 500 MG'),
    draft('d-atorva', '617310', 'atorvastatin 20 MG Oral Tablet'),
    draft('d-clari', '21212', 'clarithromycin 500 MG'),
    draft('d-unknown', '99999999', 'mystery tablet'),
  ].map((resource) => ({ resource: resource as Resource })),
};

// ---- the specification's shapes -----------------------------------------------------------------
const CARD_KEYS = ['uuid', 'summary', 'detail', 'indicator', 'source', 'suggestions', 'selectionBehavior', 'overrideReasons', 'links'];
/** JSON elements SHALL NOT be null or empty (spec "Null and empty JSON elements"). */
function noNullOrEmpty(value: unknown, path: string): string[] {
  if (value === null || value === '') return [path];
  if (Array.isArray(value)) return value.length ? value.flatMap((v, i) => noNullOrEmpty(v, `${path}[${i}]`)) : [path];
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    return entries.length ? entries.flatMap(([k, v]) => noNullOrEmpty(v, `${path}.${k}`)) : [path];
  }
  return [];
}
function expectSpecCard(card: Record<string, unknown>): void {
  expect(Object.keys(card).filter((k) => !CARD_KEYS.includes(k))).toEqual([]);
  expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof card.summary).toBe('string');
  expect((card.summary as string).length).toBeLessThan(140);
  expect(['info', 'warning', 'critical']).toContain(card.indicator);
  const source = card.source as Record<string, unknown>;
  expect(Object.keys(source).filter((k) => !['label', 'url', 'icon', 'topic'].includes(k))).toEqual([]);
  expect(typeof source.label).toBe('string');
  expect(() => new URL(source.url as string)).not.toThrow();
  for (const s of (card.suggestions as Array<Record<string, unknown>>) ?? []) {
    expect(Object.keys(s).filter((k) => !['label', 'uuid', 'isRecommended', 'actions'].includes(k))).toEqual([]);
    for (const a of s.actions as Array<Record<string, unknown>>) {
      expect(['create', 'update', 'delete']).toContain(a.type);
      expect(typeof a.description).toBe('string');
      if (a.type === 'delete') expect(a.resourceId).toMatch(/^MedicationRequest\//);
    }
  }
  if (card.suggestions) expect(['at-most-one', 'any']).toContain(card.selectionBehavior);
  for (const r of (card.overrideReasons as Array<Record<string, unknown>>) ?? []) expect(typeof r.display).toBe('string');
  expect(noNullOrEmpty(card, 'card')).toEqual([]);
}

const hookCall = (hook: string, context: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  hookInstance: `d1577c69-dfbe-44ad-ba6d-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`,
  hook,
  context: { userId: 'Practitioner/example', ...context },
  ...extra,
});

async function store(t: TestServer, resources: unknown[], headers: Record<string, string> = {}): Promise<void> {
  for (const r of resources as Array<{ resourceType: string; id: string }>) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set({ 'Content-Type': FHIR, ...headers }).send(JSON.stringify(r));
    expect([r.id, res.status]).toEqual([r.id, 201]);
  }
}

describeEachEngine('CDS Hooks', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), clock: fixedClock(NOW) });
    await store(t, [...PATIENT_VIEW_DATA, ...ORDER_DATA]);
  });
  afterAll(() => t.close());

  const post = (path: string, body: unknown) => t.http.post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));

  it('answers discovery as the specification\'s example: services with hook, title, description, id and prefetch', async () => {
    const res = await t.http.get('/cds-services');
    expect(res.status).toBe(200);
    expect(res.body.services.map((s: { hook: string }) => s.hook).sort()).toEqual(['order-select', 'order-sign', 'patient-view']);
    for (const s of res.body.services) {
      expect(Object.keys(s).sort()).toEqual(['description', 'hook', 'id', 'prefetch', 'title']);
      for (const template of Object.values(s.prefetch) as string[]) expect(template).toMatch(/\{\{context\.patientId\}\}/);
    }
    expect(noNullOrEmpty(res.body, 'discovery')).toEqual([]);
  });

  const patientViewKinds = (cards: Array<{ source: { topic: { code: string } } }>) => cards.map((c) => c.source.topic.code).sort();

  it('patient-view: NEWS2, stroke prevention without anticoagulant and overdue HbA1c, read from this server', async () => {
    const res = await post('/cds-services/nimbus-patient-risk', hookCall('patient-view', { patientId: 'pat' }));
    expect(res.status).toBe(200);
    const cards = res.body.cards;
    cards.forEach(expectSpecCard);
    expect(patientViewKinds(cards)).toEqual(['news2', 'overdue-measure', 'stroke-prevention']);
    const news = cards.find((c: { source: { topic: { code: string } } }) => c.source.topic.code === 'news2');
    // RR 23 (2) + SpO2 95 (1) + SBP 98 (2) + pulse 112 (2) + 38.4 C (1) = 8 (+ unrecorded oxygen and consciousness)
    expect([news.indicator, news.summary]).toEqual(['critical', 'NEWS2 8+: clinical risk high']);
    const stroke = cards.find((c: { source: { topic: { code: string } } }) => c.source.topic.code === 'stroke-prevention');
    // age 77 (2) + female (1) + hypertension (1) + diabetes (1) = 5
    expect(stroke.summary).toMatch(/^Atrial fibrillation, CHA2DS2-VASc 5 \(6\.7 %\/yr stroke\), no anticoagulant: recommended$/);
    expect(stroke.indicator).toBe('warning');
  });

  it('patient-view: uses the prefetch when sent (null means no data) and reads the keys not sent', async () => {
    const patient = PATIENT_VIEW_DATA[0];
    const conditions = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: PATIENT_VIEW_DATA[1] }] };
    // medications not sent: read from this server (metformin only, so no anticoagulant). Only AF among
    // the prefetched Conditions: age 77 (2) + female (1) = 3; no vitals (null); no diabetes, so no HbA1c card.
    const partial = await post('/cds-services/nimbus-patient-risk', hookCall('patient-view', { patientId: 'pat' }, { prefetch: { patient, conditions, vitals: null } }));
    expect(partial.status).toBe(200);
    expect(partial.body.cards.map((c: { summary: string }) => c.summary)).toEqual(['Atrial fibrillation, CHA2DS2-VASc 3 (3.2 %/yr stroke), no anticoagulant: recommended']);
    // An anticoagulant in the prefetched medications: no stroke-prevention card.
    const medications = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: medication('pat-apixaban', 'pat', '1364430', 'active', 'apixaban') }] };
    const anticoagulated = await post('/cds-services/nimbus-patient-risk', hookCall('patient-view', { patientId: 'pat' }, { prefetch: { patient, conditions, vitals: null, medications } }));
    expect([anticoagulated.status, anticoagulated.body]).toEqual([200, { cards: [] }]);
    // A client that failed to prefetch sends an OperationOutcome (2.0): the key is read instead.
    const failed = await post('/cds-services/nimbus-patient-risk', hookCall('patient-view', { patientId: 'pat' }, {
      prefetch: { patient, conditions, vitals: null, medications: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] } },
    }));
    expect(failed.body.cards).toHaveLength(1);
  });

  it('order-sign: interaction, allergy, duplicate therapy and unchecked drafts, each with a suggestion to remove the draft', async () => {
    const res = await post('/cds-services/nimbus-medication-safety-sign', hookCall('order-sign', { patientId: 'rx', draftOrders: DRAFTS }));
    expect(res.status).toBe(200);
    const cards = res.body.cards as Array<Record<string, any>>;
    cards.forEach(expectSpecCard);
    const byDraft = Object.fromEntries(cards.map((c) => [c.suggestions?.[0]?.actions[0].resourceId ?? 'none', c]));
    expect(Object.keys(byDraft).sort()).toEqual(['MedicationRequest/d-amox', 'MedicationRequest/d-atorva', 'MedicationRequest/d-clari', 'MedicationRequest/d-ibu', 'none']);
    expect(byDraft['MedicationRequest/d-ibu']).toMatchObject({ indicator: 'warning', summary: 'Warfarin with an NSAID: raised risk of gastrointestinal bleeding' });
    expect(byDraft['MedicationRequest/d-ibu'].detail).toMatch(/Battistella/);
    expect(byDraft['MedicationRequest/d-amox']).toMatchObject({ indicator: 'critical', summary: "amoxicillin 500 MG conflicts with the patient's Allergy to penicillin" });
    expect(byDraft['MedicationRequest/d-atorva'].summary).toBe('Duplicate therapy: two HMG-CoA reductase inhibitors (atorvastatin 20 MG Oral Tablet and simvastatin)');
    expect(byDraft['MedicationRequest/d-clari']).toMatchObject({ indicator: 'critical' });
    expect(byDraft['MedicationRequest/d-clari'].source.label).toMatch(/ONC high-priority/);
    expect(byDraft['MedicationRequest/d-clari'].suggestions[0].isRecommended).toBe(true);
    expect(byDraft.none).toMatchObject({ indicator: 'info', summary: 'Not checked for interactions or allergies: mystery tablet has no RxNorm code the table knows' });
    const knowledge = await t.http.get(new URL(byDraft['MedicationRequest/d-clari'].source.url).pathname);
    expect(knowledge.body.interactions.find((r: { id: string }) => r.id === 'onc-11').citation).toMatch(/Phansalkar/);
    // All 15 pairs of the ONC high-priority list (Phansalkar 2012), each citing it.
    const onc = knowledge.body.interactions.filter((r: { id: string }) => r.id.startsWith('onc-'));
    expect(onc.map((r: { id: string }) => r.id).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `onc-${i + 1}`).sort());
    expect(onc.every((r: { citation: string }) => /Phansalkar.*2012/.test(r.citation))).toBe(true);
    expect(onc.find((r: { id: string }) => r.id === 'onc-9')).toMatchObject({ a: { ingredient: '596205' }, b: { ingredient: '42355' } });
  });

  it('order-select: checks only the selected drafts', async () => {
    const res = await post('/cds-services/nimbus-medication-safety-select', hookCall('order-select', { patientId: 'rx', selections: ['MedicationRequest/d-ibu'], draftOrders: DRAFTS }));
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: { summary: string }) => c.summary)).toEqual(['Warfarin with an NSAID: raised risk of gastrointestinal bleeding']);
  });

  it('stores feedback: accepted suggestions and overrides with their reason, tied to the rule', async () => {
    const res = await post('/cds-services/nimbus-medication-safety-sign', hookCall('order-sign', { patientId: 'rx', draftOrders: DRAFTS }));
    const [first, second] = res.body.cards.filter((c: { suggestions?: unknown }) => c.suggestions);
    const accepted = await post('/cds-services/nimbus-medication-safety-sign/feedback', {
      feedback: [{ card: first.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: first.suggestions[0].uuid }], outcomeTimestamp: '2025-07-01T12:01:00Z' }],
    });
    expect([accepted.status, accepted.body]).toEqual([200, { received: 1 }]);
    const overridden = await post('/cds-services/nimbus-medication-safety-sign/feedback', {
      feedback: [{ card: second.uuid, outcome: 'overridden', overrideReason: { reason: second.overrideReasons[1], userComment: 'INR checked weekly' }, outcomeTimestamp: '2025-07-01T12:02:00Z' }],
    });
    expect(overridden.status).toBe(200);
    const stored = await t.server.engine.system.list<{ card: string; outcome: string; ruleId: string; overrideReason?: { reason?: { code: string }; userComment?: string } }>(FEEDBACK, { limit: 100 });
    const mine = stored.map((d) => d.value).filter((v) => v.card === first.uuid || v.card === second.uuid);
    expect(mine.map((v) => v.outcome).sort()).toEqual(['accepted', 'overridden']);
    const o = mine.find((v) => v.outcome === 'overridden')!;
    expect(o.overrideReason).toEqual({ reason: { system: second.overrideReasons[1].system, code: 'will-monitor', display: second.overrideReasons[1].display }, userComment: 'INR checked weekly' });
    expect(o.ruleId).toBeTruthy();

    const unknown = await post('/cds-services/nimbus-medication-safety-sign/feedback', { feedback: [{ card: 'no-such-card', outcome: 'overridden', outcomeTimestamp: '2025-07-01T12:02:00Z' }] });
    expect([unknown.status, unknown.body.error]).toEqual([404, 'unknown_card']);
    const otherService = await post('/cds-services/nimbus-patient-risk/feedback', { feedback: [{ card: first.uuid, outcome: 'overridden', outcomeTimestamp: '2025-07-01T12:02:00Z' }] });
    expect(otherService.status).toBe(404);
    const noSuggestions = await post('/cds-services/nimbus-medication-safety-sign/feedback', { feedback: [{ card: first.uuid, outcome: 'accepted', outcomeTimestamp: '2025-07-01T12:02:00Z' }] });
    expect([noSuggestions.status, noSuggestions.body.description]).toEqual([400, expect.stringMatching(/acceptedSuggestions is required/)]);
    const badOutcome = await post('/cds-services/nimbus-medication-safety-sign/feedback', { feedback: [{ card: first.uuid, outcome: 'ignored', outcomeTimestamp: '2025-07-01T12:02:00Z' }] });
    expect(badOutcome.status).toBe(400);
  });

  it('answers malformed hook requests 400 with {error, description}, unknown services 404', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [hookCall('order-sign', { patientId: 'pat' }), /hook must be 'patient-view'/],
      [{ hook: 'patient-view', context: { userId: 'Practitioner/x', patientId: 'pat' } }, /hookInstance is required/],
      [hookCall('patient-view', { patientId: 5 }), /context\.patientId is required/],
      [hookCall('patient-view', { patientId: 'pat' }, { prefetch: { patient: 'Patient/pat' } }), /prefetch\.patient is not a FHIR resource/],
      [hookCall('patient-view', { patientId: 'pat' }, { prefetch: { conditions: { resourceType: 'Bundle', entry: [{ resource: { id: 'x' } }] } } }), /prefetch\.conditions\.entry\[0\]\.resource is not a FHIR resource/],
      [hookCall('patient-view', { patientId: 'pat' }, { fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'svc' } }), /fhirServer is required/],
      [hookCall('patient-view', { patientId: 'pat' }, { fhirServer: 'file:///etc' }), /http\(s\) URL/],
      [hookCall('patient-view', { patientId: 'pat' }, { prefetch: { conditions: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Condition', subject: { reference: 'Patient/pat' }, code: { coding: 'I48.9' } } }] } } }), /prefetch\.conditions\.entry\[0\]\.resource is not a valid FHIR Condition: .*coding/],
      [hookCall('patient-view', { patientId: 'pat' }, { prefetch: { patient: { resourceType: 'Patient', birthDate: 'yesterday' } } }), /prefetch\.patient is not a valid FHIR Patient: .*birthDate/],
      [hookCall('patient-view', { patientId: 'pat' }, { prefetch: { patient: { resourceType: 'Nonsense' } } }), /prefetch\.patient is not a valid FHIR Nonsense/],
    ];
    for (const [body, message] of cases) {
      const res = await post('/cds-services/nimbus-patient-risk', body);
      expect([res.status, res.body.error, res.body.description]).toEqual([400, 'invalid_request', expect.stringMatching(message)]);
    }
    const drafts = await post('/cds-services/nimbus-medication-safety-sign', hookCall('order-sign', { patientId: 'rx', draftOrders: [{ resourceType: 'MedicationRequest' }] }));
    expect(drafts.body.description).toMatch(/draftOrders is required for order-sign: a FHIR Bundle/);
    const invalidDraft = await post('/cds-services/nimbus-medication-safety-sign', hookCall('order-sign', { patientId: 'rx', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'x', intent: 'order', subject: { reference: 'Patient/rx' }, medicationCodeableConcept: { text: 'x' } } }] } }));
    expect([invalidDraft.status, invalidDraft.body.description]).toEqual([400, expect.stringMatching(/context\.draftOrders\.entry\[0\]\.resource is not a valid FHIR MedicationRequest: .*status/)]);
    const many = { resourceType: 'Bundle', type: 'collection', entry: Array.from({ length: 201 }, (_, i) => ({ resource: draft(`d${i}`, '5640', 'ibuprofen') })) };
    const tooMany = await post('/cds-services/nimbus-medication-safety-sign', hookCall('order-sign', { patientId: 'rx', draftOrders: many }));
    expect([tooMany.status, tooMany.body.description]).toEqual([400, expect.stringMatching(/more than 200 entries/)]);
    const selections = await post('/cds-services/nimbus-medication-safety-select', hookCall('order-select', { patientId: 'rx', draftOrders: DRAFTS }));
    expect(selections.body.description).toMatch(/context\.selections is required/);
    const broken = await t.http.post('/cds-services/nimbus-patient-risk').set('Content-Type', 'application/json').send('{"hook": ');
    expect([broken.status, typeof broken.body.description]).toEqual([400, 'string']);
    const put = await t.http.put('/cds-services/nimbus-patient-risk').send({});
    expect([put.status, put.headers.allow, put.body.error]).toEqual([405, 'GET, POST', 'method_not_allowed']);
    const unknown = await post('/cds-services/no-such-service', hookCall('patient-view', { patientId: 'pat' }));
    expect([unknown.status, unknown.body.error]).toEqual([404, 'unknown_service']);
    const noAuth = await post('/cds-services/nimbus-patient-risk', hookCall('patient-view', { patientId: 'pat' }, { fhirServer: 'http://127.0.0.1:9/fhir' }));
    expect([noAuth.status, noAuth.body.error]).toEqual([412, 'data_unavailable']);
  });
});

describeEachEngine('CDS Hooks reading the client\'s fhirServer', (factory) => {
  let t: TestServer;
  let remote: TestServer;
  let listener: http.Server;
  let fhirServer: string;
  let token: string;

  beforeAll(async () => {
    const issuer = await makeIssuer();
    remote = await makeTestServer({ env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    const admin = await issuer.token({ scope: 'system/*.*', client_id: 'ops' });
    await store(remote, [
      { resourceType: 'Patient', id: 'far', gender: 'female', birthDate: '1944-03-03' },
      condition('far-af', 'far', '49436004', 'I48.9'),
      condition('far-htn', 'far', '38341003', 'I10'),
    ], { Authorization: `Bearer ${admin}` });
    token = await issuer.token({ scope: 'patient/*.rs', patient: 'far', client_id: 'cds-service' });
    listener = http.createServer(remote.server.app);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    fhirServer = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/fhir`;
    t = await makeTestServer({ engine: await factory.make(), clock: fixedClock(NOW) });
  });
  afterAll(async () => {
    await new Promise((resolve) => listener.close(resolve));
    await remote.close();
    await t.close();
  });

  const call = (accessToken: string) => t.http.post('/cds-services/nimbus-patient-risk').set('Content-Type', 'application/json').send(JSON.stringify(hookCall('patient-view', { patientId: 'far' }, {
    fhirServer, fhirAuthorization: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.rs', subject: 'cds-service' },
  })));

  it('reads what was not prefetched from the client\'s server with the given token', async () => {
    expect((await t.http.get('/fhir/Patient/far')).status).toBe(404); // not on this server
    const res = await call(token);
    expect(res.status).toBe(200);
    // age 81 (2) + female (1) + hypertension (1) = 4, no anticoagulant on the remote server
    expect(res.body.cards.map((c: { summary: string }) => c.summary)).toEqual(['Atrial fibrillation, CHA2DS2-VASc 4 (4.0 %/yr stroke), no anticoagulant: recommended']);
  });

  it('answers 412 when the client\'s server refuses the token', async () => {
    const res = await call('not-a-token');
    expect([res.status, res.body.error]).toEqual([412, 'data_unavailable']);
    expect(res.body.description).toMatch(/fhirServer answered 401/);
  });
});

describeEachEngine('CDS Hooks reading this server under SMART authorization', (factory) => {
  let t: TestServer;
  let tokens: Record<'admin' | 'patPatient' | 'rxPatient', string>;
  beforeAll(async () => {
    const now = () => Date.parse(NOW);
    const issuer = await makeIssuer({ now });
    t = await makeTestServer({ engine: await factory.make(), clock: fixedClock(NOW), env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    tokens = {
      admin: await issuer.token({ scope: 'system/*.*', client_id: 'ops' }),
      patPatient: await issuer.token({ scope: 'patient/*.rs', patient: 'pat' }),
      rxPatient: await issuer.token({ scope: 'patient/*.rs', patient: 'rx' }),
    };
    await store(t, [...PATIENT_VIEW_DATA, ...ORDER_DATA], { Authorization: `Bearer ${tokens.admin}` });
  });
  afterAll(() => t.close());

  const view = (token?: string) => {
    const req = t.http.post('/cds-services/nimbus-patient-risk').set('Content-Type', 'application/json');
    if (token) req.set('Authorization', `Bearer ${token}`);
    return req.send(JSON.stringify(hookCall('patient-view', { patientId: 'pat' })));
  };

  it('reads with the caller\'s own token, so the access policy decides what the cards see', async () => {
    const own = await view(tokens.patPatient);
    expect(own.status).toBe(200);
    expect(own.body.cards).toHaveLength(3);
    // Another patient's token sees nothing of pat: no card can come from pat's data.
    const other = await view(tokens.rxPatient);
    expect([other.status, other.body.cards]).toEqual([200, []]);
  });

  it('answers 412 without any authorization for this server\'s data', async () => {
    const res = await view();
    expect([res.status, res.body.error]).toEqual([412, 'data_unavailable']);
    expect(res.body.description).toMatch(/send the prefetch/);
  });
});
