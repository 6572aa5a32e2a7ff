// Every error a client can cause answers 4xx with an OperationOutcome that says what to fix, and
// leaves what is stored untouched (R4 http.html, DESIGN.md error rules).
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR = 'application/fhir+json';

function expectOutcome(res: { status: number; body: { resourceType?: string; issue?: { diagnostics?: string }[] }; text: string }, status: number, text?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  if (text) expect(res.body.issue?.map((i) => i.diagnostics).join(' ')).toMatch(text);
}

export const errorsContract: ContractSuite = {
  id: 'errors',
  title: 'client errors',
  define({ target, it }) {
    let t: ContractServer;
    beforeAll(async () => {
      t = await target.start({ env: { NIMBUS_MAX_BODY: '64kb' } });
    });
    afterAll(() => t.close());

    it('malformed JSON → 400', async () => {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType": "Patient",'), 400, /not valid JSON/);
    });

    it('body over the configured limit → 413', async () => {
      const big = JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(70 * 1024) }] });
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(big), 413, /limit/);
    });

    it('body content type not accepted → 415; response format not served → 406', async () => {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient/>'), 415, /fhir\+json/);
      expectOutcome(await t.http.get('/fhir/metadata').set('Accept', 'application/fhir+xml'), 406);
      expectOutcome(await t.http.get('/fhir/metadata?_format=xml'), 406);
      expect((await t.http.get('/fhir/metadata?_format=json')).status).toBe(200);
      expect((await t.http.get('/fhir/metadata').set('Accept', 'text/html, */*;q=0.8')).status).toBe(200);
    });

    it('unknown resource type → 404 not-supported', async () => {
      const res = await t.http.post('/fhir/Spaceship').set('Content-Type', FHIR).send('{"resourceType":"Spaceship"}');
      expectOutcome(res, 404);
      expect(res.body.issue[0].code).toBe('not-supported');
    });

    it('resourceType different from the URL → 400', async () => {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Observation"}'), 400, /does not match/);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('[1,2]'), 400);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('"text"'), 400);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(''), 400);
    });

    it('schema violations → 400 with issue code and expression pointing at the element', async () => {
      const res = await t.http
        .post('/fhir/Patient')
        .set('Content-Type', FHIR)
        .send(JSON.stringify({ resourceType: 'Patient', birthDate: '1970-13-45', gender: 'robot', name: [{ given: 'Peter' }], shoeSize: 44 }));
      expectOutcome(res, 400);
      const byExpr = Object.fromEntries(res.body.issue.map((i: { expression: string[]; code: string }) => [i.expression[0], i.code]));
      expect(byExpr['Patient.birthDate']).toBe('value');
      expect(byExpr['Patient.shoeSize']).toBe('structure');
      // Not in the required value set: the more precise IssueType (was 'value' with the JSON schema).
      expect(byExpr['Patient.gender']).toBe('code-invalid');
      expect(byExpr['Patient.name[0].given']).toBe('structure');
    });

    it('required elements, calendar dates, instants and uris are checked', async () => {
      expectOutcome(await t.http.post('/fhir/Observation').set('Content-Type', FHIR).send('{"resourceType":"Observation","status":"final"}'), 400, /code/);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","birthDate":"2023-02-29"}'), 400, /calendar/);
      expectOutcome(
        await t.http.post('/fhir/Observation').set('Content-Type', FHIR).send('{"resourceType":"Observation","status":"final","code":{"text":"x"},"issued":"2020-01-01"}'),
        400,
        /instant/,
      );
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","implicitRules":"has space"}'), 400, /uri/);
    });

    it('empty elements and nulls are refused (FHIR JSON has no empty values)', async () => {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","name":[]}'), 400, /empty array/);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","name":[{}]}'), 400, /empty object/);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","gender":null}'), 400, /null/);
    });

    it('__proto__ / constructor keys are refused and do not pollute prototypes', async () => {
      const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","__proto__":{"polluted":true},"name":[{"constructor":{"prototype":{"x":1}}}]}');
      expectOutcome(res, 400, /not a FHIR element name/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'x')).toBe(false);
    });

    it('keys that a document database could read as operators are refused', async () => {
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","$where":"1"}'), 400);
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","a.b":1}'), 400);
    });

    it('contained resources are validated by their own type', async () => {
      const res = await t.http
        .post('/fhir/Patient')
        .set('Content-Type', FHIR)
        .send(JSON.stringify({ resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o', name: 5 }] }));
      expectOutcome(res, 400);
      expect(res.body.issue[0].expression[0]).toBe('Patient.contained[0].name');
      expectOutcome(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send('{"resourceType":"Patient","contained":[{"resourceType":"Bot"}]}'), 400, /not an R4 resource type/);
    });

    it('a refused update leaves the stored resource untouched', async () => {
      await t.http.put('/fhir/Patient/keep').set('Content-Type', FHIR).send('{"resourceType":"Patient","id":"keep","gender":"female"}');
      await t.http.put('/fhir/Patient/keep').set('Content-Type', FHIR).send('{"resourceType":"Patient","id":"keep","gender":"robot"}');
      const res = await t.http.get('/fhir/Patient/keep');
      expect(res.body.gender).toBe('female');
      expect(res.body.meta.versionId).toBe('1');
    });

    it('unknown routes → 404, unserved methods → 405 with Allow', async () => {
      expectOutcome(await t.http.get('/nothing-here'), 404);
      expectOutcome(await t.http.get('/fhir/Patient/1/2/3/4'), 404);
      const res = await t.http.patch('/fhir/Patient').set('Content-Type', FHIR).send('{}');
      expectOutcome(res, 405);
      expect(res.headers.allow).toBe('GET, POST');
    });

    it('history parameters are checked: unknown parameter and bad dates are 400', async () => {
      expectOutcome(await t.http.get('/fhir/Patient/_history?_since=yesterday'), 400, /_since/);
      expectOutcome(await t.http.get('/fhir/Patient/_history?_count=ten'), 400, /_count/);
      expectOutcome(await t.http.get('/fhir/Patient/_history?colour=red'), 400, /colour/);
      expect((await t.http.get('/fhir/Patient/_history?colour=red').set('Prefer', 'handling=lenient')).status).toBe(200);
    });
  },
};
