// Reference.reference on every write (R4 references.html): a relative reference is Type/id or
// Type/id/_history/vid with an R4 type and an id of at most 64 id characters; `#id` names a
// contained resource; urn:uuid:/urn:oid: placeholders and conditional references belong in
// Bundles. Refusals are 400 with the element in `expression`; nothing is stored.
import { describeEachEngine, sqliteFactory } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

describeEachEngine('references on write', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());

  const patient = (reference: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'Patient',
    id: 'p',
    managingOrganization: { reference },
    ...extra,
  });
  const put = (body: unknown) => t.http.put('/fhir/Patient/p').set('Content-Type', FHIR).send(body as object);

  it.each([
    ['an id of 10,000 characters', `Patient/${'a'.repeat(10_000)}`],
    ['an id of 65 characters', `Organization/${'a'.repeat(65)}`],
    ['an id with characters outside the id alphabet', 'Organization/a_b'],
    ['a type that is not an R4 resource type', 'Organisation/1'],
    ['a type only', 'Organization'],
    ['a version id of 65 characters', `Organization/1/_history/${'1'.repeat(65)}`],
    ['a path with more segments', 'fhir/Organization/1'],
    ['a fragment naming no contained resource', '#nope'],
    ['a bare # outside a contained resource', '#'],
    ['a urn:uuid: placeholder outside a Bundle', 'urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c01'],
    ['a conditional reference outside a transaction', 'Organization?identifier=x'],
    ['blanks', 'Organization/ 1'],
  ])('refuses %s with 400 and the element', async (_what, reference) => {
    const res = await put(patient(reference));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression).toEqual(['Patient.managingOrganization.reference']);
    expect((await t.http.get('/fhir/Patient/p')).status).toBe(404);
  });

  it('locates references inside contained resources, extensions and backbone elements', async () => {
    const body = {
      resourceType: 'Patient',
      id: 'p',
      contained: [{ resourceType: 'Organization', id: 'org', name: 'x', partOf: { reference: 'Organization/%%' } }],
      extension: [{ url: 'http://example.org/x', valueReference: { reference: 'Nope/1' } }],
      contact: [{ organization: { reference: '#org' } }],
    };
    const res = await put(body);
    expect(res.status).toBe(400);
    const errors = res.body.issue.filter((i: { severity: string }) => i.severity === 'error');
    expect(errors.map((i: { expression: string[] }) => i.expression[0]).sort()).toEqual([
      'Patient.contained[0].partOf.reference',
      'Patient.extension[0].valueReference.reference',
    ]);
  });

  it.each([
    ['Type/id', 'Organization/1'],
    ['an id of 64 characters', `Organization/${'a'.repeat(64)}`],
    ['Type/id/_history/vid', 'Organization/1/_history/2'],
    ['an absolute URL', 'http://example.org/fhir/Organization/1'],
    ['an absolute URL of any shape', 'https://example.org/some/thing?x=1'],
  ])('accepts %s', async (_what, reference) => {
    const res = await put(patient(reference));
    expect([200, 201]).toContain(res.status);
  });

  it('accepts #id of a contained resource, and # from a contained resource to its container', async () => {
    const body = {
      resourceType: 'Patient',
      id: 'p',
      // (org-1: a contained Organization still needs a name or an identifier)
      contained: [{ resourceType: 'Organization', id: 'org', name: 'x', contact: [{ name: { text: 'x' } }], endpoint: [{ reference: '#' }] }],
      managingOrganization: { reference: '#org' },
    };
    expect([200, 201]).toContain((await put(body)).status);
  });

  it('accepts placeholders and conditional references inside a stored Bundle (a document)', async () => {
    const doc = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c01', resource: { resourceType: 'Patient', managingOrganization: { reference: 'urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c02' } } },
        { resource: { resourceType: 'Patient', managingOrganization: { reference: 'Organization?identifier=x' } } },
      ],
    };
    expect((await t.http.post('/fhir/Bundle').set('Content-Type', FHIR).send(doc)).status).toBe(201);
    const bad = { ...doc, entry: [{ resource: { resourceType: 'Patient', managingOrganization: { reference: `Organization/${'a'.repeat(65)}` } } }] };
    const res = await t.http.post('/fhir/Bundle').set('Content-Type', FHIR).send(bad);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Bundle.entry[0].resource.managingOrganization.reference']);
  });

  it('refuses a bad reference in a batch entry with the entry’s OperationOutcome', async () => {
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'PUT', url: 'Patient/p' }, resource: patient(`Patient/${'a'.repeat(10_000)}`) }],
    };
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).send(batch);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^400/);
    // Bundle processing places the entry's issues under the entry (Bundle.entry[0]…).
    expect(res.body.entry[0].response.outcome.issue[0].expression.join(' ')).toMatch(/Bundle\.entry\[0\].*managingOrganization\.reference/);
  });
});

// Transactions resolve placeholders and conditional references before writing; FerretDB (the
// MongoDB engine's test server) has no transactions, so this part runs on SQLite.
describe('references in transactions [sqlite]', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await sqliteFactory.make() });
    await t.http.put('/fhir/Organization/o1').set('Content-Type', FHIR).send({ resourceType: 'Organization', id: 'o1', identifier: [{ system: 'urn:x', value: 'o1' }] });
  });
  afterAll(() => t.close());

  it('resolves urn:uuid: and conditional references, and refuses a malformed one', async () => {
    const tx = (reference: string) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c03', request: { method: 'POST', url: 'Organization' }, resource: { resourceType: 'Organization', name: 'n' } },
        { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', managingOrganization: { reference }, generalPractitioner: [{ reference: 'Organization?identifier=urn:x|o1' }] } },
      ],
    });
    const ok = await t.http.post('/fhir').set('Content-Type', FHIR).send(tx('urn:uuid:0b7f1f0c-3c4e-4a52-9d1e-8a0f3e0b1c03'));
    expect(ok.status).toBe(200);
    const bad = await t.http.post('/fhir').set('Content-Type', FHIR).send(tx(`Organization/${'x'.repeat(100)}`));
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression.join(' ')).toMatch(/Bundle\.entry\[1\].*managingOrganization\.reference/);
  });
});
