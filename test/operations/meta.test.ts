// $meta, $meta-add and $meta-delete (R4 Resource-meta*), on every engine: system/type summaries
// counted from the index, instance meta, and edits that create no new version but are searchable.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const VIP = { system: 'http://example.org/tags', code: 'vip' };
const CONF = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };
const metaParam = (meta: object) => ({ resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: meta }] });

describeEachEngine('$meta operations', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const r of [
      { resourceType: 'Patient', id: 'a', meta: { tag: [VIP], profile: ['http://example.org/StructureDefinition/p1'] } },
      { resourceType: 'Patient', id: 'b', meta: { tag: [VIP, { code: 'local' }], security: [CONF] } },
      { resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, meta: { tag: [{ system: 'http://example.org/tags', code: 'lab' }] } },
    ]) {
      expect((await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r)).status).toBe(201);
    }
  });
  afterAll(() => t.close());
  const post = (url: string, body: unknown) => t.http.post(url).set('Content-Type', FHIR).send(JSON.stringify(body));
  const metaOf = (res: { body: { parameter: Array<{ name: string; valueMeta: unknown }> } }) => res.body.parameter.find((p) => p.name === 'return')!.valueMeta;

  it('summarises the labels in use at type and system level', async () => {
    const type = await t.http.get('/fhir/Patient/$meta');
    expect(type.status).toBe(200);
    expect(metaOf(type)).toEqual({ profile: ['http://example.org/StructureDefinition/p1'], tag: [{ code: 'local' }, VIP], security: [CONF] });
    const system = metaOf(await t.http.get('/fhir/$meta')) as { tag: object[] };
    expect(system.tag).toEqual(expect.arrayContaining([VIP, { system: 'http://example.org/tags', code: 'lab' }, { code: 'local' }]));
  });

  it("answers one resource's meta as stored", async () => {
    const res = await post('/fhir/Patient/a/$meta', { resourceType: 'Parameters' });
    expect(metaOf(res)).toEqual(expect.objectContaining({ versionId: '1', tag: [VIP], profile: ['http://example.org/StructureDefinition/p1'] }));
  });

  it('adds and deletes labels as sets, without a new version, and search sees the change', async () => {
    const before = await t.http.get('/fhir/Patient/b');
    const added = await post('/fhir/Patient/b/$meta-add', metaParam({ tag: [{ ...VIP, display: 'ignored for matching' }, { system: 'urn:s', code: 'new' }], profile: ['http://example.org/StructureDefinition/p2'] }));
    expect(added.status).toBe(200);
    expect(metaOf(added)).toEqual(expect.objectContaining({ tag: [VIP, { code: 'local' }, { system: 'urn:s', code: 'new' }], profile: ['http://example.org/StructureDefinition/p2'] }));
    const after = await t.http.get('/fhir/Patient/b');
    expect([after.body.meta.versionId, after.headers.etag, after.body.meta.lastUpdated]).toEqual([before.body.meta.versionId, before.headers.etag, before.body.meta.lastUpdated]);
    expect((await t.http.get('/fhir/Patient/b/_history')).body.entry).toHaveLength(1);
    expect((await t.http.get(`/fhir/Patient/b/_history/${before.body.meta.versionId}`)).body.meta.tag).toContainEqual({ system: 'urn:s', code: 'new' });
    expect((await t.http.get('/fhir/Patient?_tag=urn:s|new')).body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['b']);
    expect((await t.http.get('/fhir/Patient?_profile=http://example.org/StructureDefinition/p2')).body.entry).toHaveLength(1);

    const deleted = await post('/fhir/Patient/b/$meta-delete', metaParam({ tag: [{ system: 'urn:s', code: 'new' }], security: [CONF], profile: ['http://example.org/StructureDefinition/p2'] }));
    expect(metaOf(deleted)).toEqual(expect.objectContaining({ tag: [VIP, { code: 'local' }] }));
    expect(metaOf(deleted)).not.toHaveProperty('security');
    expect(metaOf(deleted)).not.toHaveProperty('profile');
    expect((await t.http.get('/fhir/Patient?_tag=urn:s|new')).body.entry ?? []).toEqual([]);
    expect((await t.http.get('/fhir/Patient/b')).body.meta.versionId).toBe(before.body.meta.versionId);
  });

  it('keeps the rest of the resource exactly as stored, decimals included', async () => {
    const text = '{"resourceType":"Observation","id":"dec","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}';
    expect((await t.http.put('/fhir/Observation/dec').set('Content-Type', FHIR).send(text)).status).toBe(201);
    expect((await post('/fhir/Observation/dec/$meta-add', metaParam({ tag: [VIP] }))).status).toBe(200);
    const read = await t.http.get('/fhir/Observation/dec').buffer(true).parse((res, cb) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => cb(null, body));
    });
    expect(read.body).toContain('"value":1.50');
    expect(read.body).toContain('"tag":[');
  });

  it('keeps every label of concurrent edits of one resource', async () => {
    const codes = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const answers = await Promise.all(codes.map((code) => post('/fhir/Patient/a/$meta-add', metaParam({ tag: [{ system: 'urn:race', code }] }))));
    expect(answers.map((r) => r.status)).toEqual(codes.map(() => 200));
    const tags = (await t.http.get('/fhir/Patient/a')).body.meta.tag as Array<{ system?: string; code: string }>;
    expect(tags.filter((x) => x.system === 'urn:race').map((x) => x.code).sort()).toEqual(codes);
  });

  it('refuses GET, unknown targets and meta elements other than labels', async () => {
    const viaGet = await t.http.get('/fhir/Patient/a/$meta-add');
    expect([viaGet.status, viaGet.headers.allow]).toEqual([405, 'POST']);
    expect((await post('/fhir/Patient/nobody/$meta-add', metaParam({ tag: [VIP] }))).status).toBe(404);
    const other = await post('/fhir/Patient/a/$meta-add', metaParam({ versionId: '9' }));
    expect([other.status, other.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/only profile, tag and security/)]);
    const missing = await post('/fhir/Patient/a/$meta-add', { resourceType: 'Parameters' });
    expect([missing.status, missing.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'meta': is required/)]);
    const typeLevel = await post('/fhir/Patient/$meta-add', metaParam({ tag: [VIP] }));
    expect(typeLevel.status).toBe(400);
    const invalid = await post('/fhir/Patient/a/$meta-add', metaParam({ profile: ['not a uri'] }));
    expect(invalid.status).toBe(400);
  });
});
