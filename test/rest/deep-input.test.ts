// Deeply nested JSON is refused with 400 before any recursive code (validator, FHIRPath, link
// walks) sees it, on every path that parses JSON: resource bodies, Bundles and their entries,
// Parameters, PATCH documents (JSON Patch, FHIRPath Patch, Binary-encoded patches in Bundles), and a
// patch that would grow a stored resource past the limit. Nothing is stored by a refused request.
import { MAX_JSON_DEPTH } from '../../src/fhir/json';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';
const DEEP = 100_000;
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Extensions nested `levels` deep: each level is an object inside an array (2 JSON levels). */
function nestedExtension(levels: number): Record<string, unknown> {
  let ext: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' };
  for (let i = 0; i < levels; i++) ext = { url: `http://example.org/level${i}`, extension: [ext] };
  return ext;
}

describeEachEngine('deeply nested input', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    expect((await t.http.put('/fhir/Basic/target').set('Content-Type', FHIR).send({ resourceType: 'Basic', id: 'target', code: { text: 'x' } })).status).toBe(201);
  });
  afterAll(() => t.close());

  const expectTooDeep = (res: { status: number; body: { resourceType?: string; issue?: Array<{ diagnostics?: string }> } }) => {
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue![0].diagnostics).toMatch(/levels deep/);
  };

  it(`refuses a Patient with ${DEEP.toLocaleString('en')} nested arrays in extension`, async () => {
    expectTooDeep(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(`{"resourceType":"Patient","extension":${nested(DEEP)}}`));
    expectTooDeep(await t.http.put('/fhir/Patient/deep').set('Content-Type', FHIR).send(`{"resourceType":"Patient","id":"deep","extension":${nested(DEEP)}}`));
    expect((await t.http.get('/fhir/Patient/deep')).status).toBe(404);
  });

  it('refuses deep Bundles (entries) and deep Parameters', async () => {
    const entry = `{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","extension":${nested(DEEP)}}}`;
    expectTooDeep(await t.http.post('/fhir').set('Content-Type', FHIR).send(`{"resourceType":"Bundle","type":"batch","entry":[${entry}]}`));
    const parameters = `{"resourceType":"Parameters","parameter":[{"name":"operation","part":${nested(DEEP)}}]}`;
    expectTooDeep(await t.http.patch('/fhir/Basic/target').set('Content-Type', FHIR).send(parameters));
  });

  it('refuses deep JSON Patch documents and Binary-encoded patches in Bundles', async () => {
    expectTooDeep(await t.http.patch('/fhir/Basic/target').set('Content-Type', JSON_PATCH).send(`[{"op":"add","path":"/extension","value":${nested(DEEP)}}]`));
    const data = Buffer.from(`[{"op":"add","path":"/extension","value":${nested(DEEP)}}]`).toString('base64');
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'PATCH', url: 'Basic/target' }, resource: { resourceType: 'Binary', contentType: JSON_PATCH, data } }],
    };
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).send(bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^400/);
    expect(res.body.entry[0].response.outcome.issue[0].diagnostics).toMatch(/levels deep/);
  });

  it('refuses a patch that would grow a stored resource past the limit, and keeps the resource', async () => {
    // Nearly as deep as allowed (2 JSON levels per extension level)…
    const levels = Math.floor((MAX_JSON_DEPTH - 4) / 2);
    const body = { resourceType: 'Basic', id: 'grow', code: { text: 'x' }, extension: [nestedExtension(levels - 1)] };
    expect((await t.http.put('/fhir/Basic/grow').set('Content-Type', FHIR).send(body)).status).toBe(201);
    // …then a patch adds a value that is itself within the limit at its deepest point.
    const path = `/extension/0${'/extension/0'.repeat(levels - 2)}/extension/-`;
    const res = await t.http
      .patch('/fhir/Basic/grow')
      .set('Content-Type', JSON_PATCH)
      .send([{ op: 'add', path, value: nestedExtension(20) }]);
    expectTooDeep(res);
    const after = await t.http.get('/fhir/Basic/grow');
    expect(after.body.meta.versionId).toBe('1');
  });

  it('accepts nesting within the limit', async () => {
    const levels = Math.floor((MAX_JSON_DEPTH - 4) / 2);
    const res = await t.http.post('/fhir/Basic').set('Content-Type', FHIR).send({ resourceType: 'Basic', code: { text: 'x' }, extension: [nestedExtension(levels - 1)] });
    expect(res.status).toBe(201);
  });
});
