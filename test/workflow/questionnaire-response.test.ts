// Patient feedback on both engines over real HTTP: a QuestionnaireResponse that names a stored
// Questionnaire is checked against it on every door (POST, PUT, PATCH, conditional create and
// update, transaction and batch entries), each problem naming the item's linkId; a response to an
// unknown Questionnaire is refused; nothing is stored when refused.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const URL = 'http://clinic.example.org/Questionnaire/visit-check';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const questionnaire = {
  resourceType: 'Questionnaire',
  id: 'visit-check',
  url: URL,
  status: 'active',
  item: [
    { linkId: 'score', type: 'integer', required: true },
    { linkId: 'mood', type: 'choice', answerOption: [{ valueCoding: { system: 'http://clinic.example.org/mood', code: 'good' } }, { valueCoding: { system: 'http://clinic.example.org/mood', code: 'bad' } }] },
    { linkId: 'why-bad', type: 'string', maxLength: 20, enableWhen: [{ question: 'mood', operator: '=', answerCoding: { system: 'http://clinic.example.org/mood', code: 'bad' } }] },
    { linkId: 'known', type: 'choice', answerValueSet: 'http://hl7.org/fhir/ValueSet/yesnodontknow' },
    { linkId: 'tags', type: 'string', repeats: true },
  ],
};

const good = (extra: Json = {}) => ({
  resourceType: 'QuestionnaireResponse',
  questionnaire: URL,
  status: 'completed',
  item: [
    { linkId: 'score', answer: [{ valueInteger: 7 }] },
    { linkId: 'mood', answer: [{ valueCoding: { system: 'http://clinic.example.org/mood', code: 'bad' } }] },
    { linkId: 'why-bad', answer: [{ valueString: 'long wait' }] },
    { linkId: 'known', answer: [{ valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v2-0136', code: 'Y' } }] },
    { linkId: 'tags', answer: [{ valueString: 'a' }, { valueString: 'b' }] },
  ],
  ...extra,
});

/** Each broken response and the linkId its issue must name. */
const broken: Array<[string, Json]> = [
  ['score', { ...good(), item: good().item.filter((i: Json) => i.linkId !== 'score') }], // required missing
  ['score', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'score' ? { linkId: 'score', answer: [{ valueString: '7' }] } : i)) }], // type
  ['mood', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'mood' ? { linkId: 'mood', answer: [{ valueCoding: { system: 'http://clinic.example.org/mood', code: 'meh' } }] } : i)) }], // answerOption
  ['why-bad', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'mood' ? { linkId: 'mood', answer: [{ valueCoding: { system: 'http://clinic.example.org/mood', code: 'good' } }] } : i)) }], // enableWhen
  ['why-bad', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'why-bad' ? { linkId: 'why-bad', answer: [{ valueString: 'x'.repeat(21) }] } : i)) }], // maxLength
  // NI is a code of its system, but not in the value set (yes / no / asked but unknown).
  ['known', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'known' ? { linkId: 'known', answer: [{ valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'NI' } }] } : i)) }], // answerValueSet
  ['score', { ...good(), item: good().item.map((i: Json) => (i.linkId === 'score' ? { linkId: 'score', answer: [{ valueInteger: 1 }, { valueInteger: 2 }] } : i)) }], // repeats
];

function expectRefusal(res: { status: number; body: Json }, linkId: string) {
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const expressions: string[] = res.body.issue.filter((i: Json) => i.severity === 'error').flatMap((i: Json) => i.expression ?? []);
  expect(expressions).toContain(`QuestionnaireResponse.repeat(item).where(linkId='${linkId}')`);
}

describeEachEngine('QuestionnaireResponse against its Questionnaire', (factory) => {
  let t: TestServer;
  // FerretDB has no multi-document transactions: transaction Bundles are refused there (batches are the way).
  let atomic = true;
  beforeAll(async () => {
    const engine = await factory.make();
    atomic = engine.atomicTransactions;
    t = await makeTestServer({ engine });
    const res = await t.http.put('/fhir/Questionnaire/visit-check').set('Content-Type', FHIR).send(questionnaire);
    expect(res.status).toBe(201);
  }, 60000);
  afterAll(() => t.close());

  async function expectNoTransactions() {
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'transaction', entry: [] });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).toContain('batch');
  }
  const count = async () => (await t.http.get('/fhir/QuestionnaireResponse?_summary=count')).body.total as number;

  it('accepts a response that fits, on create and update', async () => {
    const created = await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send(good());
    expect(created.status).toBe(201);
    const updated = await t.http.put(`/fhir/QuestionnaireResponse/${created.body.id}`).set('Content-Type', FHIR).send({ ...created.body, status: 'amended' });
    expect(updated.status).toBe(200);
  });

  it('refuses each kind of misfit on POST and PUT, naming the linkId, and stores nothing', async () => {
    const before = await count();
    for (const [linkId, body] of broken) {
      expectRefusal(await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send(body), linkId);
      expectRefusal(await t.http.put('/fhir/QuestionnaireResponse/qr-put').set('Content-Type', FHIR).send({ ...body, id: 'qr-put' }), linkId);
    }
    expect(await count()).toBe(before);
    expect((await t.http.get('/fhir/QuestionnaireResponse/qr-put')).status).toBe(404);
  });

  it('refuses misfits through PATCH, conditional create and update, and Bundle entries', async () => {
    const created = await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send(good({ identifier: { system: 'urn:x', value: 'p1' } }));
    expect(created.status).toBe(201);
    const patch = [{ op: 'replace', path: '/item/0/answer/0', value: { valueString: 'seven' } }];
    expectRefusal(await t.http.patch(`/fhir/QuestionnaireResponse/${created.body.id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(patch)), 'score');
    const [, noScore] = broken[0];
    expectRefusal(await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).set('If-None-Exist', 'identifier=urn:x|new-one').send(noScore), 'score');
    expectRefusal(await t.http.put('/fhir/QuestionnaireResponse?identifier=urn:x|p1').set('Content-Type', FHIR).send({ ...noScore, identifier: { system: 'urn:x', value: 'p1' } }), 'score');
    const stored = await t.http.get(`/fhir/QuestionnaireResponse/${created.body.id}`);
    expect(stored.body.meta.versionId).toBe('1');

    if (atomic) {
      const tx = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:1', resource: noScore, request: { method: 'POST', url: 'QuestionnaireResponse' } }] });
      expect(tx.status).toBe(400);
      expect(JSON.stringify(tx.body)).toContain("linkId='score'");
    } else await expectNoTransactions();
    const batch = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: noScore, request: { method: 'POST', url: 'QuestionnaireResponse' } }, { resource: good(), request: { method: 'POST', url: 'QuestionnaireResponse' } }] });
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].response.status).toMatch(/^400/);
    expect(JSON.stringify(batch.body.entry[0].response.outcome)).toContain("linkId='score'");
    expect(batch.body.entry[1].response.status).toMatch(/^201/);
  });

  it('a Questionnaire written earlier in the same transaction counts', async () => {
    if (!atomic) return expectNoTransactions();
    const q2 = { ...questionnaire, id: undefined, url: 'http://clinic.example.org/Questionnaire/in-bundle' };
    const bundle = (score: Json) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:q', resource: q2, request: { method: 'POST', url: 'Questionnaire' } },
        { fullUrl: 'urn:uuid:r', resource: { ...good(), questionnaire: q2.url, item: [{ linkId: 'score', answer: [score] }] }, request: { method: 'POST', url: 'QuestionnaireResponse' } },
      ],
    });
    expect((await t.http.post('/fhir').set('Content-Type', FHIR).send(bundle({ valueString: 'x' }))).status).toBe(400);
    expect((await t.http.get('/fhir/Questionnaire?url=http://clinic.example.org/Questionnaire/in-bundle')).body.total).toBe(0);
    expect((await t.http.post('/fhir').set('Content-Type', FHIR).send(bundle({ valueInteger: 3 }))).status).toBe(200);
  });

  it('an unknown Questionnaire is a 4xx that says what to do; a literal Questionnaire/id is found', async () => {
    const res = await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send(good({ questionnaire: 'http://nowhere.example.org/Questionnaire/none' }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['QuestionnaireResponse.questionnaire']);
    expect(res.body.issue[0].diagnostics).toMatch(/store the Questionnaire first/);
    expectRefusal(await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send({ ...broken[0][1], questionnaire: 'Questionnaire/visit-check' }), 'score');
    expect((await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send(good({ questionnaire: 'Questionnaire/visit-check' }))).status).toBe(201);
  });

  it('the shipped patient-experience Questionnaire is checked too', async () => {
    const res = await t.http.post('/fhir/QuestionnaireResponse').set('Content-Type', FHIR).send({
      resourceType: 'QuestionnaireResponse',
      questionnaire: 'http://nimbus-fhir.org/fhir/Questionnaire/patient-experience',
      status: 'completed',
      item: [{ linkId: 'recommend', answer: [{ valueInteger: 11 }] }],
    });
    expectRefusal(res, 'recommend');
  });
});
