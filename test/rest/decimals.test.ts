// FHIR decimals keep their precision (R4 datatypes.html: 0.010 and 0.01 differ) through every path
// that parses and re-serialises a resource, on every engine: create/update bodies, Bundle entries,
// PATCH of a stored resource, conditional writes; and come back exactly from read, vread, _pretty,
// _summary/_elements, history, search results and Bundle responses. Values beyond the range of a
// decimal are refused with 400 naming the element.
import { describeEachEngine, sqliteFactory } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const EXACT = ['1.50', '1.0000000000000000000000001', '100.00', '2.10e3', '-0'];

/** An Observation whose value and components carry the exact decimals, as text. */
function observationText(id: string, lexemes = EXACT): string {
  const components = lexemes.map((l, i) => `{"code":{"text":"c${i}"},"valueQuantity":{"value":${l},"unit":"mg"}}`).join(',');
  return (
    `{"resourceType":"Observation","id":"${id}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},` +
    `"valueQuantity":{"value":${lexemes[0]},"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"},"component":[${components}]}`
  );
}

/** Every decimal lexeme of the answer text must appear as sent (the text is not parsed: that is the point). */
function expectLexemes(text: string, lexemes = EXACT): void {
  for (const l of lexemes) expect(text).toContain(`"value":${l},`);
}

describeEachEngine('decimals keep their precision', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());

  const put = (id: string, text: string) => t.http.put(`/fhir/Observation/${id}`).set('Content-Type', FHIR).send(text);

  it('on create, update, read, vread, _pretty, _summary/_elements and history', async () => {
    const created = await t.http.post('/fhir/Observation').set('Content-Type', FHIR).send(observationText('ignored'));
    expect(created.status).toBe(201);
    expectLexemes(created.text);
    const id = created.body.id as string;
    expectLexemes((await t.http.get(`/fhir/Observation/${id}`)).text);
    expect((await t.http.get(`/fhir/Observation/${id}?_pretty=true`)).text).toContain('"value": 1.0000000000000000000000001,');
    expectLexemes((await t.http.get(`/fhir/Observation/${id}?_elements=component`)).text, EXACT.slice(1));
    expect((await t.http.get(`/fhir/Observation/${id}?_summary=true`)).text).toContain('"value":1.50,');

    expect((await put(id, observationText(id, ['0.010', '7.250']))).status).toBe(200);
    expectLexemes((await t.http.get(`/fhir/Observation/${id}`)).text, ['0.010', '7.250']);
    expectLexemes((await t.http.get(`/fhir/Observation/${id}/_history/1`)).text);
    const history = (await t.http.get(`/fhir/Observation/${id}/_history`)).text;
    expectLexemes(history);
    expectLexemes(history, ['0.010', '7.250']);
    expectLexemes((await t.http.get('/fhir/Observation/_history')).text, ['0.010', '7.250']);
  });

  it('in search results, which still match on the numeric value', async () => {
    expect((await put('s1', observationText('s1', ['4.50']))).status).toBe(201);
    const bundle = await t.http.get('/fhir/Observation?_id=s1&value-quantity=4.5');
    expect(bundle.body.total ?? bundle.body.entry.length).toBe(1);
    expect(bundle.text).toContain('"value":4.50,');
    const subset = await t.http.get('/fhir/Observation?_id=s1&_elements=component');
    expect(subset.text).toContain('"value":4.50,');
    expect((await t.http.get('/fhir/Observation?_id=s1&value-quantity=4.6')).body.entry ?? []).toHaveLength(0);
  });

  it('through PATCH of the stored resource and decimals sent in patches', async () => {
    expect((await put('p1', observationText('p1'))).status).toBe(201);
    // A patch of another element leaves every decimal as it was.
    const other = await t.http
      .patch('/fhir/Observation/p1')
      .set('Content-Type', 'application/json-patch+json')
      .send('[{"op":"replace","path":"/status","value":"amended"}]');
    expect(other.status).toBe(200);
    expectLexemes(other.text);
    // Decimals inside JSON Patch values, and FHIRPath Patch valueDecimal, keep their text.
    const jsonPatch = await t.http
      .patch('/fhir/Observation/p1')
      .set('Content-Type', 'application/json-patch+json')
      .send('[{"op":"add","path":"/component/0","value":{"code":{"text":"new"},"valueQuantity":{"value":3.30}}},{"op":"replace","path":"/valueQuantity/value","value":8.80}]');
    expect(jsonPatch.status).toBe(200);
    expect(jsonPatch.text).toContain('"valueQuantity":{"value":8.80,');
    expect(jsonPatch.text).toContain('{"value":3.30}');
    expectLexemes(jsonPatch.text, EXACT.slice(1));
    const fhirPath = await t.http
      .patch('/fhir/Observation/p1')
      .set('Content-Type', FHIR)
      .send(
        '{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},' +
          '{"name":"path","valueString":"Observation.valueQuantity.value"},{"name":"value","valueDecimal":9.900}]}]}',
      );
    expect(fhirPath.status).toBe(200);
    expect(fhirPath.text).toContain('"valueQuantity":{"value":9.900,');
    expect((await t.http.get('/fhir/Observation/p1')).text).toBe(fhirPath.text);
  });

  it('in batch entries, their responses and conditional writes', async () => {
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'PUT', url: 'Observation/b1' }, resource: 'B1' },
        { request: { method: 'POST', url: 'Observation', ifNoneExist: 'identifier=urn:x|c1' }, resource: 'C1' },
        { request: { method: 'GET', url: 'Observation/b1' } },
      ],
    };
    const conditional = observationText('c1').replace('"status"', '"identifier":[{"system":"urn:x","value":"c1"}],"status"');
    const text = JSON.stringify(batch).replace('"B1"', observationText('b1')).replace('"C1"', conditional);
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).set('Prefer', 'return=representation').send(text);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '200 OK']);
    // Each entry's resource (two written, one read) carries the exact text.
    const parts = res.text.split('"fullUrl"').slice(1);
    expect(parts).toHaveLength(3);
    for (const part of parts) expectLexemes(part);
    // Conditional create that matches answers the stored resource, exactly.
    const again = await t.http.post('/fhir/Observation').set('Content-Type', FHIR).set('If-None-Exist', 'identifier=urn:x|c1').send(conditional);
    expect(again.status).toBe(200);
    expectLexemes(again.text);
    // Conditional update.
    const cu = await t.http.put('/fhir/Observation?identifier=urn:x|c1').set('Content-Type', FHIR).send(conditional.replace('"id":"c1",', '').replace(/1\.50/g, '1.500'));
    expect(cu.status).toBe(200);
    expect(cu.text).toContain('"valueQuantity":{"value":1.500,');
  });

  it('refuses values beyond the decimal range with 400 naming the element, and stores nothing', async () => {
    for (const value of ['1e400', '-1e309', `1${'0'.repeat(400)}`]) {
      const res = await put('big', observationText('big', [value]));
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].expression).toEqual(['Observation.valueQuantity.value']);
    }
    const inBundle = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send(`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"PUT","url":"Observation/big"},"resource":${observationText('big', ['1e400'])}}]}`);
    expect(inBundle.status).toBe(400);
    expect(inBundle.body.issue[0].expression).toEqual(['Bundle.entry[0].resource.valueQuantity.value']);
    expect((await t.http.get('/fhir/Observation/big')).status).toBe(404);
  });
});

// Transactions need atomic engine transactions: FerretDB (the MongoDB engine's test server) has
// none and refuses transaction Bundles, so this part runs where they exist.
describe('decimals keep their precision in transactions [sqlite]', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await sqliteFactory.make() });
  });
  afterAll(() => t.close());

  it('through transaction entries and a Binary-encoded JSON Patch', async () => {
    expect((await t.http.put('/fhir/Observation/t0').set('Content-Type', FHIR).send(observationText('t0'))).status).toBe(201);
    const patch = Buffer.from('[{"op":"replace","path":"/valueQuantity/value","value":5.250}]').toString('base64');
    const text =
      `{"resourceType":"Bundle","type":"transaction","entry":[` +
      `{"fullUrl":"urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c01","request":{"method":"POST","url":"Observation"},"resource":${observationText('x')}},` +
      `{"request":{"method":"PATCH","url":"Observation/t0"},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"${patch}"}}]}`;
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).set('Prefer', 'return=representation').send(text);
    expect(res.status).toBe(200);
    expectLexemes(res.text.split('"fullUrl"')[1]);
    const created = res.body.entry[0].response.location.split('/_history')[0].split('/fhir/')[1];
    expectLexemes((await t.http.get(`/fhir/${created}`)).text);
    const patched = (await t.http.get('/fhir/Observation/t0')).text;
    expect(patched).toContain('"valueQuantity":{"value":5.250,');
    expectLexemes(patched, EXACT.slice(1));
  });
});
