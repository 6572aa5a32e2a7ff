// Operations over HTTP and in Bundles, on every engine: routing by level, GET/POST rules, parameter
// errors, bare resources, the CapabilityStatement and OperationDefinitions from the registry.
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { OperationModule } from '../../src/operations/types';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

/** A state-changing operation of the test's own, to check the GET/POST rules and Bundle handling. */
const touchDefinition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'test-touch',
  url: 'http://example.org/OperationDefinition/test-touch',
  name: 'Touch',
  status: 'active',
  kind: 'operation',
  code: 'touch',
  system: false,
  type: true,
  instance: false,
  resource: ['Patient'],
  parameter: [
    { name: 'family', use: 'in', min: 1, max: '1', type: 'string' },
    { name: 'created', use: 'out', min: 1, max: '1', type: 'id' },
  ],
};
const touch: OperationModule = {
  definition: touchDefinition,
  affectsState: true,
  handler: async (call, ctx) => {
    const family = call.params.string('family')!;
    const id = `touched-${family.toLowerCase()}`;
    await ctx.data.transaction((tx) => tx.read('Patient', id)); // through the door, like any handler
    const { create } = await import('../../src/interactions/crud');
    const outcome = await create(ctx.data, ctx.services.core, 'Patient', { resourceType: 'Patient', name: [{ family }] });
    return { out: { created: outcome.version!.id } };
  },
  example: { level: 'type', resourceType: 'Patient', parameters: { resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'Example' }] } },
};

describeEachEngine('operations over HTTP', (factory) => {
  let t: TestServer;
  let patientId: string;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), overrides: { operations: [touch] } });
    patientId = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient', gender: 'female' })).body.id;
  });
  afterAll(() => t.close());

  it('answers $versions with GET and POST at the system level', async () => {
    for (const res of [await t.http.get('/fhir/$versions'), await t.http.post('/fhir/$versions').set('Content-Type', FHIR).send({ resourceType: 'Parameters' })]) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ resourceType: 'Parameters', parameter: [{ name: 'version', valueCode: '4.0' }, { name: 'default', valueCode: '4.0' }] });
    }
  });

  it('refuses an unknown operation with 404 and one at a level its definition does not allow with 400', async () => {
    const unknown = await t.http.get('/fhir/Patient/$nonesuch');
    expect(unknown.status).toBe(404);
    expect(unknown.body.issue[0]).toMatchObject({ code: 'not-supported', diagnostics: expect.stringMatching(/no operation \$nonesuch/) });
    const wrongLevel = await t.http.get('/fhir/Patient/$versions');
    expect(wrongLevel.status).toBe(400);
    expect(wrongLevel.body.issue[0].diagnostics).toMatch(/\$versions cannot be invoked at the type level \(its definition allows: system\)/);
    const wrongType = await t.http.post('/fhir/Observation/$touch').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'x' }] });
    expect(wrongType.status).toBe(400);
  });

  it('refuses GET on an operation that changes data with 405 and Allow: POST, and runs it with POST', async () => {
    const get = await t.http.get('/fhir/Patient/$touch?family=Smith');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.body.resourceType).toBe('OperationOutcome');
    const post = await t.http.post('/fhir/Patient/$touch').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'Smith' }] });
    expect(post.status).toBe(200);
    const created = post.body.parameter[0];
    expect(created.name).toBe('created');
    expect((await t.http.get(`/fhir/Patient/${created.valueId}`)).body.name[0].family).toBe('Smith');
  });

  it('names the parameter of every parameter error', async () => {
    const cases: Array<[string, object, RegExp]> = [
      ['/fhir/Patient/$touch', { resourceType: 'Parameters' }, /'family': is required/],
      ['/fhir/Patient/$touch', { resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'a' }, { name: 'family', valueString: 'b' }] }, /'family': may be given at most 1 time/],
      ['/fhir/Patient/$touch', { resourceType: 'Parameters', parameter: [{ name: 'family', valueBoolean: true }] }, /'family': needs valueString, not valueBoolean/],
      ['/fhir/Patient/$touch', { resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'a' }, { name: 'age', valueInteger: 3 }] }, /'age': is not a parameter of \$touch/],
    ];
    for (const [url, body, message] of cases) {
      const res = await t.http.post(url).set('Content-Type', FHIR).send(body);
      expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([400, expect.stringMatching(message)]);
    }
    const fromUrl = await t.http.get('/fhir/$versions?verbose=true');
    expect(fromUrl.status).toBe(400);
    expect(fromUrl.body.issue[0].diagnostics).toMatch(/'verbose': is not a parameter of \$versions \(it takes none\)/);
    const both = await t.http.post('/fhir/Patient/$touch?family=a').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'b' }] });
    expect(both.status).toBe(400);
  });

  it('checks that an instance target exists and is not deleted', async () => {
    const gone = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient' })).body.id;
    await t.http.delete(`/fhir/Patient/${gone}`);
    const body = { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] };
    expect((await t.http.post('/fhir/Patient/nobody/$validate').set('Content-Type', FHIR).send(body)).status).toBe(404);
    expect((await t.http.post(`/fhir/Patient/${gone}/$validate`).set('Content-Type', FHIR).send(body)).status).toBe(410);
    expect((await t.http.post(`/fhir/Patient/${patientId}/$validate`).set('Content-Type', FHIR).send(body)).status).toBe(200);
  });

  it('lists exactly the registered operations in the CapabilityStatement, and serves their definitions', async () => {
    const cs = (await t.http.get('/fhir/metadata')).body;
    const rest = cs.rest[0];
    const registered = t.server.services.operations.modules.map((m) => m.definition);
    expect(rest.operation.map((o: { name: string }) => o.name).sort()).toEqual(registered.filter((d) => d.system).map((d) => d.code).sort());
    const patient = rest.resource.find((r: { type: string }) => r.type === 'Patient');
    const expectedOnPatient = registered.filter((d) => (d.type || d.instance) && ((d.resource ?? []) as string[]).some((r) => r === 'Patient' || r === 'Resource'));
    expect(patient.operation).toEqual(expectedOnPatient.map((d) => ({ name: d.code, definition: d.url })));
    const observation = rest.resource.find((r: { type: string }) => r.type === 'Observation');
    expect(observation.operation.map((o: { name: string }) => o.name)).not.toContain('touch');
    for (const d of registered) {
      const read = await t.http.get(`/fhir/OperationDefinition/${d.id}`);
      expect([d.id, read.status, read.body.url, read.body.code]).toEqual([d.id, 200, d.url, d.code]);
    }
    const validate = registered.find((d) => d.code === 'validate')!;
    const found = await t.http.get('/fhir/OperationDefinition?code=validate');
    expect(found.body.entry.map((e: { resource: { url: string } }) => e.resource.url)).toEqual([validate.url]);
    expect((await t.http.get('/fhir/OperationDefinition/test-touch')).body.affectsState).toBe(true);
  });

  it('runs operations as batch entries, each answered in place', async () => {
    const res = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: '$versions' } },
          { request: { method: 'POST', url: 'Patient/$validate' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'nope' } }] } },
          { request: { method: 'POST', url: 'Patient/$touch' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'Batch' }] } },
          { request: { method: 'GET', url: 'Patient/$touch?family=x' } },
          { request: { method: 'GET', url: 'Patient/$nonesuch' } },
        ],
      });
    expect(res.status).toBe(200);
    const [versions, validated, touched, refused, unknown] = res.body.entry;
    expect(versions.response.status).toBe('200 OK');
    expect(versions.resource.parameter[1]).toEqual({ name: 'default', valueCode: '4.0' });
    expect(validated.response.status).toBe('200 OK');
    expect(validated.resource.issue[0]).toMatchObject({ severity: 'error', expression: ['Patient.gender'] });
    expect(touched.response.status).toBe('200 OK');
    expect(refused.response.status).toMatch(/^405/);
    expect(unknown.response.status).toMatch(/^404/);
  });

  it('runs read-only operations inside a transaction and refuses state-changing ones there', async () => {
    const refused = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient/$touch' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'family', valueString: 'Tx' }] } }] });
    expect(refused.status).toBe(400);
    expect(refused.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[0\].*changes data and cannot run inside a transaction/);
    const tx = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:0c9e3f7e-1111-4c0e-9a4b-000000000001', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', gender: 'male' } },
          { request: { method: 'GET', url: '$versions' } },
        ],
      });
    if (t.server.engine.atomicTransactions) {
      expect(tx.status).toBe(200);
      expect(tx.body.entry[1].resource.resourceType).toBe('Parameters');
    } else {
      // FerretDB has no multi-document transactions: transaction Bundles are refused as a whole.
      expect(tx.status).toBe(400);
      expect(tx.body.issue[0].diagnostics).toMatch(/replica set/);
    }
  });

  it('echoes a well-formed X-Request-Id and replaces one that is not', async () => {
    const given = await t.http.get('/fhir/$versions').set('X-Request-Id', 'abc-123.x');
    expect(given.headers['x-request-id']).toBe('abc-123.x');
    const fast = await t.http.get(`/fhir/Patient/${patientId}`).set('X-Request-Id', 'read-1');
    expect(fast.headers['x-request-id']).toBe('read-1');
    const bad = await t.http.get('/fhir/$versions').set('X-Request-Id', 'has spaces and <tags>');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await t.http.get('/fhir/metadata');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
