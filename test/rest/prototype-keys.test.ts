// Words that name Object.prototype members (`__proto__`, `constructor`, `toString`…) sent in every
// place a client controls: path segments, operation names, parameter names, modifiers and values,
// headers, JSON keys and Bundle entries. A lookup table that is a plain object finds an inherited
// member for them instead of nothing; fuzz:api found one (`_format=__proto__` answered with
// `Content-Type: [object Object]`). Every answer must be a 2xx, or a 4xx with an OperationOutcome,
// in a real JSON media type — and the server must still answer afterwards.
import supertest from 'supertest';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const ALL_WORDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf', '__defineGetter__'];

/** GET paths under /fhir; `W` stands for the word (URL-encoded where it matters). */
const GET_TEMPLATES = [
  '/W',
  '/W/1',
  '/W/_history',
  '/Patient/W',
  '/Patient/W/_history',
  '/Patient/p1/_history/W',
  '/$W',
  '/Patient/$W',
  '/Patient/p1/$W',
  '/Patient?W=x',
  '/Patient?name:W=x',
  '/Patient?name=W',
  '/Patient?_sort=W',
  '/Patient?_sort=-W',
  '/Patient?_include=Patient:W',
  '/Patient?_include=W:x',
  '/Patient?_revinclude=W:patient',
  '/Patient?_revinclude=Observation:W',
  '/Patient?_summary=W',
  '/Patient?_total=W',
  '/Patient?_elements=W',
  '/Patient?_count=W',
  '/Patient?_contained=W',
  '/Patient?_has:W:patient:code=x',
  '/Patient?_has:Observation:W:code=x',
  '/Patient?_has:Observation:patient:W=x',
  '/Observation?subject:W.name=x',
  '/Observation?subject.W=x',
  '/Observation?subject:Patient.W=x',
  '/Observation?code=W|W',
  '/Observation?code:W=x',
  '/Observation?value-quantity=ltW',
  '/Observation?value-quantity=5|W|W',
  '/Observation?date=W',
  '/Observation?combo-code-value-quantity=W$W',
  '/Location?near=W',
  '/Location?near=1|2|3|W',
  '/Patient?birthdate=W',
  '/Patient?_format=W',
  '/Patient?_pretty=W',
  '/$versions?_format=W',
  '/?_type=W',
  '/_history?_type=W',
  '/metadata?mode=W',
  '/metadata?_format=W',
  '/Observation/$lastn?max=W&code=W',
  '/Observation/$lastn?patient=Patient/p1&category=W',
  '/Observation/$stats?statistic=W&code=x&subject=Patient/p1',
  '/Observation/$stats?statistic=average&code=W&subject=Patient/W',
  '/Patient/p1/$everything?_type=W',
  '/Patient/W/$everything',
  '/$export?_type=W',
  '/$export?_outputFormat=W',
  '/Patient/p1/$risk-assessment?model=W',
  '/Patient/p1/$predict?model=W',
  '/ValueSet/$expand?url=W',
  '/CodeSystem/$lookup?system=W&code=W',
  '/ValueSet/$validate-code?url=W&code=W&system=W',
  '/OperationDefinition/W',
  '/StructureDefinition/W',
  '/Appointment/$find?service-type=W&start=W',
  '/Measure/W/$evaluate-measure?periodStart=2024-01-01&periodEnd=2024-12-31',
  '/Measure/$evaluate-measure?measure=W&periodStart=2024-01-01&periodEnd=2024-12-31',
  '/Patient/$validate?mode=W',
];

/** Paths outside /fhir. */
const OTHER_GET_TEMPLATES = ['/W', '/cds-services/W', '/console/W', '/docs/W', '/.well-known/W', '/fhir/.well-known/W', '/metrics?W=1'];

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
  body: { resourceType?: string; issue?: unknown[] };
}

/** The invariants of one answer; returns what is wrong, or undefined. */
function problem(res: Answer, underFhir: boolean): string | undefined {
  if (res.status >= 500) return `server error ${res.status}: ${res.text.slice(0, 200)}`;
  const type = res.headers['content-type'] ?? '';
  if (/\[object|undefined|function/i.test(type)) return `content type "${type}"`;
  if (underFhir && res.status >= 400) {
    if (!/^application\/(fhir\+)?json; charset=utf-8$/.test(type)) return `${res.status} in "${type}"`;
    if (res.body?.resourceType !== 'OperationOutcome' || !Array.isArray(res.body.issue)) return `${res.status} without an OperationOutcome: ${res.text.slice(0, 200)}`;
  }
  if (underFhir && res.status < 300 && res.text.length > 0 && !/^application\/(fhir\+)?json; charset=utf-8$/.test(type)) return `${res.status} in "${type}"`;
  return undefined;
}

describeEachEngine('prototype member names sent anywhere a client can put a word', (factory) => {
  // The tables live above the engines; on FerretDB (~50 ms a query) two words cover the engine's
  // own code paths in a few seconds instead of ~50.
  const WORDS = factory.name === 'sqlite' ? ALL_WORDS : ALL_WORDS.slice(0, 2);
  let t: TestServer;
  let http: ReturnType<typeof supertest>;

  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    http = t.http;
    await http.put('/fhir/Patient/p1').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Proto' }] }).expect(201);
  });
  afterAll(async () => t?.close());

  it('answers every GET with a 2xx or a 4xx OperationOutcome, in a JSON media type', async () => {
    const found: string[] = [];
    for (const w of WORDS) {
      for (const template of GET_TEMPLATES) {
        const url = `/fhir${template.replace(/W/g, w)}`;
        const res = (await http.get(url)) as unknown as Answer;
        const p = problem(res, true);
        if (p) found.push(`GET ${url} → ${p}`);
      }
      for (const template of OTHER_GET_TEMPLATES) {
        const url = template.replace(/W/g, w);
        const p = problem((await http.get(url)) as unknown as Answer, false);
        if (p) found.push(`GET ${url} → ${p}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('answers prototype words in headers, JSON keys, Bundle entries and operation parameters', async () => {
    const found: string[] = [];
    const check = async (label: string, send: () => supertest.Test, underFhir = true) => {
      const p = problem((await send()) as unknown as Answer, underFhir);
      if (p) found.push(`${label} → ${p}`);
    };
    const json = 'application/fhir+json';
    for (const w of WORDS) {
      await check(`Accept ${w}`, () => http.get('/fhir/Patient/p1').set('Accept', w));
      await check(`Prefer return=${w}`, () => http.post('/fhir/Patient').set('Content-Type', json).set('Prefer', `return=${w}`).send({ resourceType: 'Patient' }));
      await check(`Prefer handling=${w}`, () => http.get('/fhir/Patient?name=x').set('Prefer', `handling=${w}`));
      await check(`Content-Type ${w}`, () => http.post('/fhir/Patient').set('Content-Type', w).send('{}'));
      await check(`If-None-Exist ${w}`, () => http.post('/fhir/Patient').set('Content-Type', json).set('If-None-Exist', `${w}=x`).send({ resourceType: 'Patient' }));
      await check(`If-Match ${w}`, () => http.put('/fhir/Patient/p1').set('Content-Type', json).set('If-Match', w).send({ resourceType: 'Patient', id: 'p1' }));
      await check(`key ${w}`, () => http.post('/fhir/Patient').set('Content-Type', json).send(`{"resourceType":"Patient","${w}":{"a":1}}`));
      await check(`resourceType ${w}`, () => http.post(`/fhir/${w}`).set('Content-Type', json).send({ resourceType: w }));
      await check(`nested key ${w}`, () => http.post('/fhir/Patient').set('Content-Type', json).send(`{"resourceType":"Patient","name":[{"${w}":"x"}]}`));
      await check(`extension url ${w}`, () => http.post('/fhir/Patient').set('Content-Type', json).send({ resourceType: 'Patient', extension: [{ url: w, valueString: 'x' }] }));
      await check(`bundle type ${w}`, () => http.post('/fhir').set('Content-Type', json).send({ resourceType: 'Bundle', type: w, entry: [] }));
      await check(`bundle method ${w}`, () =>
        http.post('/fhir').set('Content-Type', json).send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: w, url: 'Patient' } }] }),
      );
      await check(`bundle url ${w}`, () =>
        http.post('/fhir').set('Content-Type', json).send({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `${w}?x=1` } }] }),
      );
      await check(`bundle op ${w}`, () =>
        http.post('/fhir').set('Content-Type', json).send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient/$${w}` } }] }),
      );
      await check(`json patch op ${w}`, () =>
        http.patch('/fhir/Patient/p1').set('Content-Type', 'application/json-patch+json').send(JSON.stringify([{ op: w, path: '/active', value: true }])),
      );
      await check(`json patch path ${w}`, () =>
        http.patch('/fhir/Patient/p1').set('Content-Type', 'application/json-patch+json').send(JSON.stringify([{ op: 'add', path: `/${w}/x`, value: true }])),
      );
      const params = { resourceType: 'Parameters', parameter: [{ name: w, valueString: w }] };
      for (const op of ['/Patient/$validate', '/Patient/$match', '/Observation/$population-stats', '/Observation/$stats', '/Appointment/$book', '/Appointment/$hold', '/Patient/p1/$meta-add', '/$reindex', '/Measure/$evaluate-measure']) {
        await check(`POST ${op} parameter ${w}`, () => http.post(`/fhir${op}`).set('Content-Type', json).send(params));
      }
      await check(`$validate mode ${w}`, () =>
        http.post('/fhir/Patient/$validate').set('Content-Type', json).send({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: w }, { name: 'resource', resource: { resourceType: 'Patient' } }] }),
      );
      await check(`$population-stats groupBy ${w}`, () =>
        http.post('/fhir/Observation/$population-stats').set('Content-Type', json).send({ resourceType: 'Parameters', parameter: [{ name: 'groupBy', valueString: w }, { name: 'code', valueString: 'x' }] }),
      );
      await check(`cds-services POST ${w}`, () => http.post(`/cds-services/${w}`).set('Content-Type', 'application/json').send({ hook: w, hookInstance: w, context: { [w]: w } }), false);
    }
    expect(found).toEqual([]);
    // And the server is still there, with the record intact.
    await http.get('/fhir/Patient/p1').expect(200);
  });
});
