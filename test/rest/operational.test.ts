// CapabilityStatement and the operational endpoints outside the FHIR base.
import { makeTestServer, type TestServer } from '../support/server';

describe('metadata and operational endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer();
  });
  afterAll(() => t.close());

  it('GET /metadata is an R4 CapabilityStatement listing every R4 resource type with its interactions', async () => {
    const res = await t.http.get('/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const resources = res.body.rest[0].resource as { type: string; interaction: { code: string }[] }[];
    expect(resources.map((r) => r.type)).toEqual(t.server.services.core.definitions.resourceTypes);
    expect(resources.length).toBeGreaterThanOrEqual(145);
    const patient = resources.find((r) => r.type === 'Patient')!;
    expect(patient.interaction.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'update', 'delete', 'create', 'history-instance', 'history-type']));
    // The statement must validate as an R4 CapabilityStatement itself.
    expect(t.server.services.core.validator.validate(res.body, 'CapabilityStatement').filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('lists the compartments served, and each CompartmentDefinition (from fhir-profiles/) is readable', async () => {
    const res = await t.http.get('/fhir/metadata');
    const compartments = res.body.rest[0].compartment as string[];
    expect(compartments).toEqual(expect.arrayContaining(['http://hl7.org/fhir/CompartmentDefinition/patient']));
    for (const url of compartments) {
      const id = url.split('/').pop();
      const def = await t.http.get(`/fhir/CompartmentDefinition/${id}`);
      expect(def.status).toBe(200);
      expect(def.body.url).toBe(url);
      const search = await t.http.get(`/fhir/${def.body.code}/x/Observation`);
      expect(search.status).toBe(200);
    }
  });

  it('every type the statement lists really accepts create and read', async () => {
    const res = await t.http.get('/fhir/metadata');
    for (const { type } of res.body.rest[0].resource) {
      const r = await t.http.get(`/fhir/${type}/does-not-exist`);
      expect([type, r.status]).toEqual([type, 404]);
      expect(r.body.issue[0].code).toBe('not-found');
    }
  });

  it('liveness and readiness; readiness fails when the database is unusable', async () => {
    expect((await t.http.get('/healthz')).body.status).toBe('alive');
    expect((await t.http.get('/readyz')).status).toBe(200);
    const other = await makeTestServer();
    await other.server.engine.close();
    const res = await other.http.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('unavailable');
  });

  it('Prometheus metrics count requests by route pattern, without ids or query strings', async () => {
    await t.http.get('/fhir/Patient/abc-secret-id?name=Smith');
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('nimbus_http_requests_total');
    expect(res.text).toContain('route="/fhir/:type/:id"');
    expect(res.text).not.toContain('abc-secret-id');
    expect(res.text).not.toContain('Smith');
  });

  it('Prometheus metrics show the write path: groups, transactions and the queue', async () => {
    const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const before = (await t.http.get('/metrics')).text;
    const created = await Promise.all(
      Array.from({ length: 5 }, () => t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', active: true })),
    );
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const after = (await t.http.get('/metrics')).text;
    expect(metric(after, 'nimbus_write_transactions_total') - metric(before, 'nimbus_write_transactions_total')).toBe(5);
    const groups = metric(after, 'nimbus_write_groups_total') - metric(before, 'nimbus_write_groups_total');
    expect(groups).toBeGreaterThanOrEqual(1);
    expect(groups).toBeLessThanOrEqual(5);
    expect(metric(after, 'nimbus_write_queue_transactions')).toBe(0);
    expect(metric(after, 'nimbus_write_failed_groups_total')).toBe(0);
    expect(metric(after, 'nimbus_write_commit_wait_seconds_total')).toBeGreaterThan(metric(before, 'nimbus_write_commit_wait_seconds_total'));
  });
});
