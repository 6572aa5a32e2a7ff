// Questionnaire/$aggregate on both engines over real HTTP, against a brute-force computation made
// here from the responses themselves: the shipped patient-experience Questionnaire with seeded
// random answers (strata by month, Practitioner and HealthcareService), and the generator's
// feedback. Also: bad input is a 4xx.
import fs from 'node:fs';
import path from 'node:path';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generatePatientRecords } from '../../src/generate';

const FHIR = 'application/fhir+json';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PX = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../fhir-profiles/questionnaires/Questionnaire-patient-experience.json'), 'utf8'));
const SCALE = 'http://nimbus-fhir.org/fhir/CodeSystem/satisfaction-scale';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected {
  responses: number;
  items: Map<string, { answers: number; dist: Map<string, number>; mean?: number; median?: number; nps?: Json; freeText?: number }>;
}

/** The figures computed the slow, obvious way: every answer of every response, one by one. */
function bruteForce(qrs: Json[], questionnaire: Json, npsItems: Set<string>): Expected {
  const items = new Map<string, { answers: number; dist: Map<string, number>; mean?: number; median?: number; nps?: Json; freeText?: number }>();
  for (const qi of questionnaire.item.filter((i: Json) => i.type !== 'display' && i.type !== 'group')) {
    const given = qrs.flatMap((r) => (r.item ?? []).filter((i: Json) => i.linkId === qi.linkId));
    if (qi.type === 'string' || qi.type === 'text') {
      const n = given.filter((i: Json) => (i.answer ?? []).some((a: Json) => typeof a.valueString === 'string')).length;
      items.set(qi.linkId, { answers: n, dist: new Map(), freeText: n });
      continue;
    }
    const answers = given.flatMap((i: Json) => i.answer ?? []);
    const dist = new Map<string, number>();
    const numbers: number[] = [];
    for (const a of answers) {
      let label: string;
      if (a.valueCoding) {
        label = `${a.valueCoding.system ?? ''}|${a.valueCoding.code ?? ''}`;
        const option = qi.answerOption?.find((o: Json) => o.valueCoding.code === a.valueCoding.code);
        const ord = option?.extension?.find((e: Json) => e.url.endsWith('ordinalValue'))?.valueDecimal;
        if (ord !== undefined) numbers.push(ord);
      } else {
        const v = a.valueInteger ?? a.valueDecimal ?? a.valueBoolean;
        label = String(v);
        if (typeof v === 'number') numbers.push(v);
      }
      dist.set(label, (dist.get(label) ?? 0) + 1);
    }
    const entry: Json = { answers: answers.length, dist };
    if (numbers.length) {
      numbers.sort((a, b) => a - b);
      const n = numbers.length;
      entry.mean = numbers.reduce((s, x) => s + x, 0) / n;
      entry.median = n % 2 ? numbers[(n - 1) / 2] : (numbers[n / 2 - 1] + numbers[n / 2]) / 2;
      const bounded = qi.extension?.some((e: Json) => e.url.endsWith('/maxValue') && e.valueInteger === 10);
      if (npsItems.has(qi.linkId) || bounded) {
        const promoters = numbers.filter((x) => x >= 9).length;
        const detractors = numbers.filter((x) => x <= 6).length;
        entry.nps = { score: ((promoters - detractors) / n) * 100, promoters, passives: n - promoters - detractors, detractors };
      }
    }
    items.set(qi.linkId, entry as Expected['items'] extends Map<string, infer V> ? V : never);
  }
  return { responses: qrs.length, items };
}

const part = (p: Json, name: string) => (p.part ?? p.parameter ?? []).filter((x: Json) => x.name === name);
const one = (p: Json, name: string) => part(p, name)[0];

function expectMatches(figures: Json, expected: Expected) {
  expect(one(figures, 'responses').valueInteger).toBe(expected.responses);
  for (const item of part(figures, 'item')) {
    const linkId = one(item, 'linkId').valueString;
    const want = expected.items.get(linkId)!;
    const got = {
      answers: one(item, 'answers').valueInteger,
      dist: new Map(part(item, 'answer').map((a: Json) => [one(a, 'value').valueString, one(a, 'count').valueInteger])),
      mean: one(item, 'mean')?.valueDecimal,
      median: one(item, 'median')?.valueDecimal,
      nps: one(item, 'nps') ? Object.fromEntries(one(item, 'nps').part.map((p: Json) => [p.name, p.valueDecimal ?? p.valueInteger])) : undefined,
      freeText: one(item, 'freeText')?.valueInteger,
    };
    expect([linkId, got.answers, [...got.dist].sort()]).toEqual([linkId, want.answers, [...want.dist].sort()]);
    expect([linkId, got.freeText]).toEqual([linkId, want.freeText]);
    if (want.mean === undefined) expect([linkId, got.mean]).toEqual([linkId, undefined]);
    else {
      expect(got.mean).toBeCloseTo(want.mean, 3);
      expect([linkId, got.median]).toEqual([linkId, want.median]);
    }
    if (want.nps) {
      expect([linkId, got.nps!.promoters, got.nps!.passives, got.nps!.detractors]).toEqual([linkId, want.nps.promoters, want.nps.passives, want.nps.detractors]);
      expect(got.nps!.score).toBeCloseTo(want.nps.score, 1);
    } else expect([linkId, got.nps]).toEqual([linkId, undefined]);
  }
  expect(part(figures, 'item').length).toBe(expected.items.size);
}

describeEachEngine('Questionnaire/$aggregate', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    // FerretDB answers every query slowly on a loaded machine (each stratum is a few queries): the
    // default 60 s request budget is for production, not for a shared CI box.
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '10m' } });
  }, 60000);
  afterAll(() => t.close());

  async function put(r: Json) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r);
    if (![200, 201].includes(res.status)) throw new Error(`${r.resourceType}/${r.id}: ${JSON.stringify(res.body)}`);
  }
  async function putAll(list: Json[]) {
    // Batches of 25 (both engines accept batches; FerretDB has no transactions).
    for (let i = 0; i < list.length; i += 25) {
      const entry = list.slice(i, i + 25).map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }));
      const res = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'batch', entry });
      expect(res.status).toBe(200);
      const failed = res.body.entry.filter((e: Json) => !/^20[01]/.test(e.response.status));
      expect(failed).toEqual([]);
    }
  }

  it('patient-experience responses: per item, per month, per Practitioner and per HealthcareService, as counted by hand', async () => {
    const random = prng(factory.name === 'sqlite' ? 11 : 12);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const practitioners = ['px-doc-1', 'px-doc-2', 'px-doc-3'];
    const services = ['px-cardio', 'px-derm'];
    const setup: Json[] = [];
    const stratum = new Map<string, { practitioner: string; service: string }>();
    const qrs: Json[] = [];
    for (let i = 0; i < 90; i++) {
      const practitioner = pick(practitioners);
      const service = pick(services);
      setup.push({ resourceType: 'Appointment', id: `px-apt-${i}`, status: 'fulfilled', start: '2024-06-01T09:00:00Z', end: '2024-06-01T09:30:00Z', participant: [{ actor: { reference: `HealthcareService/${service}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${practitioner}` }, status: 'accepted' }] });
      setup.push({ resourceType: 'Encounter', id: `px-enc-${i}`, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, participant: [{ individual: { reference: `Practitioner/${practitioner}` } }], appointment: [{ reference: `Appointment/px-apt-${i}` }] });
      // Mostly January–April 2025 (the period), some just outside it; a few still in progress (not counted).
      const month = i % 15 === 0 ? '2024-12' : i % 17 === 0 ? '2025-05' : `2025-${String(1 + Math.floor(random() * 4)).padStart(2, '0')}`;
      const recommend = Math.floor(random() * 11);
      const item: Json[] = [{ linkId: 'overall', answer: [{ valueCoding: { system: SCALE, code: String(1 + Math.floor(random() * 5)) } }] }];
      if (random() < 0.7) item.push({ linkId: 'staff', answer: [{ valueCoding: { system: SCALE, code: String(1 + Math.floor(random() * 5)), display: 'shown or not' } }] });
      if (random() < 0.8) item.push({ linkId: 'wait-acceptable', answer: [{ valueBoolean: random() < 0.6 }] });
      if (random() < 0.5) item.push({ linkId: 'wait-minutes', answer: [{ valueInteger: Math.floor(random() * 60) }] });
      item.push({ linkId: 'recommend', answer: [{ valueInteger: recommend }] });
      if (recommend <= 6 && random() < 0.6) item.push({ linkId: 'improve', answer: [{ valueString: pick(['Shorter waits', 'Call back', 'Parking']) }] });
      if (random() < 0.3) item.push({ linkId: 'comment', answer: [{ valueString: `comment ${i}` }] });
      const qr = {
        resourceType: 'QuestionnaireResponse',
        id: `px-qr-${i}`,
        questionnaire: PX.url,
        status: i % 13 === 0 ? 'in-progress' : 'completed',
        encounter: { reference: `Encounter/px-enc-${i}` },
        authored: `${month}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T10:00:00Z`,
        item,
      };
      qrs.push(qr);
      stratum.set(qr.id, { practitioner, service });
    }
    // A response to another Questionnaire is not counted.
    await put({ resourceType: 'Questionnaire', id: 'px-other', url: 'http://example.org/Questionnaire/other', status: 'active', item: [{ linkId: 'overall', type: 'integer' }] });
    setup.push({ resourceType: 'QuestionnaireResponse', id: 'px-other-1', questionnaire: 'http://example.org/Questionnaire/other', status: 'completed', authored: '2025-05-05', item: [{ linkId: 'overall', answer: [{ valueInteger: 3 }] }] });
    await putAll([...setup, ...qrs]);

    const res = await t.http.get('/fhir/Questionnaire/patient-experience/$aggregate?start=2025-01-01&end=2025-04-30&stratifyBy=month,practitioner&stratifyBy=service');
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    const counted = qrs.filter((q) => q.status === 'completed' && q.authored >= '2025-01-01' && q.authored < '2025-05-01');
    expect(counted.length).toBeGreaterThan(50);
    expectMatches(res.body, bruteForce(counted, PX, new Set()));
    expect(one(res.body, 'questionnaire').valueCanonical).toBe(PX.url);

    const strata = part(res.body, 'stratum');
    const groups = new Map<string, Json[]>();
    for (const q of counted) {
      const s = stratum.get(q.id)!;
      for (const key of [`month:${q.authored.slice(0, 7)}`, `practitioner:Practitioner/${s.practitioner}`, `service:HealthcareService/${s.service}`]) groups.set(key, [...(groups.get(key) ?? []), q]);
    }
    const keys = strata.map((s: Json) => `${one(s, 'by').valueCode}:${one(s, 'month')?.valueString ?? one(s, 'reference').valueReference.reference}`);
    expect(keys.sort()).toEqual([...groups.keys()].sort());
    for (const s of strata) {
      const key = `${one(s, 'by').valueCode}:${one(s, 'month')?.valueString ?? one(s, 'reference').valueReference.reference}`;
      expectMatches(s, bruteForce(groups.get(key)!, PX, new Set()));
    }
  }, 600000);

  it("the generator's feedback, with recommend scored as net promoter", async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const wanted: Json[] = [];
    const encounters = new Map<string, Json>();
    let questionnaire: Json | undefined;
    for (const record of generatePatientRecords({ patients: 30, seed: 7, years: 2, now })) {
      if (record.shared) questionnaire = record.shared.find((r) => r.resourceType === 'Questionnaire');
      for (const r of record.patient?.resources ?? []) {
        if (r.resourceType === 'QuestionnaireResponse') wanted.push(r);
        if (r.resourceType === 'Encounter') encounters.set(r.id!, r);
      }
    }
    expect(wanted.length).toBeGreaterThan(5);
    const needed = wanted.map((q) => encounters.get(q.encounter.reference.split('/')[1])!);
    // The generator's Encounters name Appointments and Locations that are not stored here: plain
    // references, which the server accepts without their targets.
    await putAll([questionnaire!, ...needed, ...wanted]);
    const res = await t.http.post(`/fhir/Questionnaire/${questionnaire!.id}/$aggregate`).set('Content-Type', FHIR).send({
      resourceType: 'Parameters',
      parameter: [{ name: 'start', valueDate: '2025-01-01' }, { name: 'end', valueDate: '2025-12-31' }, { name: 'npsItem', valueString: 'recommend' }, { name: 'stratifyBy', valueCode: 'practitioner' }],
    });
    expect(res.status).toBe(200);
    const counted = wanted.filter((q) => q.authored >= '2025-01-01' && q.authored < '2026-01-01');
    expectMatches(res.body, bruteForce(counted, questionnaire!, new Set(['recommend'])));
    const byPractitioner = new Map<string, Json[]>();
    for (const q of counted) {
      const p = encounters.get(q.encounter.reference.split('/')[1])!.participant[0].individual.reference;
      byPractitioner.set(p, [...(byPractitioner.get(p) ?? []), q]);
    }
    const strata = part(res.body, 'stratum');
    expect(strata.length).toBe(Math.min(byPractitioner.size, 100));
    for (const s of strata) expectMatches(s, bruteForce(byPractitioner.get(one(s, 'reference').valueReference.reference)!, questionnaire!, new Set(['recommend'])));
  }, 600000);

  it('bad input is a 4xx OperationOutcome', async () => {
    const bad = async (url: string, status = 400) => {
      const res = await t.http.get(url);
      expect([url, res.status]).toEqual([url, status]);
      expect(res.body.resourceType).toBe('OperationOutcome');
    };
    await bad('/fhir/Questionnaire/patient-experience/$aggregate?stratifyBy=weekday');
    await bad('/fhir/Questionnaire/patient-experience/$aggregate?start=2025-06-01&end=2025-01-01');
    await bad('/fhir/Questionnaire/patient-experience/$aggregate?start=2025');
    await bad('/fhir/Questionnaire/patient-experience/$aggregate?start=1900-01-01&end=2025-01-01&stratifyBy=month');
    await bad('/fhir/Questionnaire/no-such/$aggregate', 404);
    const empty = await t.http.get('/fhir/Questionnaire/patient-experience/$aggregate?start=1990-01-01&end=1990-12-31&stratifyBy=month');
    expect(empty.status).toBe(200);
    expect(one(empty.body, 'responses').valueInteger).toBe(0);
    expect(part(empty.body, 'stratum')).toEqual([]);
  }, 300000);
});
