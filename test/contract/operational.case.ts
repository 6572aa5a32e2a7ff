// CapabilityStatement and the operational endpoints outside the FHIR base.
import { r4Definitions } from '../../src/fhir/definitions';
import { ResourceValidator } from '../../src/fhir/validation';
import { ConformanceRegistry } from '../../src/fhir/validator/registry';
import { TerminologyService } from '../../src/terminology/service';
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

/** A validator of the test's own (the statement is checked independently of the server that made it). */
function r4Validator(): ResourceValidator {
  const registry = new ConformanceRegistry();
  return new ResourceValidator(r4Definitions(), registry, new TerminologyService(registry), { strictProfiles: false });
}

export const operationalContract: ContractSuite = {
  id: 'operational',
  title: 'metadata and operational endpoints',
  define({ target, it }) {
    let t: ContractServer;
    beforeAll(async () => {
      t = await target.start();
    });
    afterAll(() => t.close());

    it('GET /metadata is an R4 CapabilityStatement listing every R4 resource type with its interactions', async () => {
      const res = await t.http.get('/fhir/metadata');
      expect(res.status).toBe(200);
      expect(res.body.resourceType).toBe('CapabilityStatement');
      expect(res.body.fhirVersion).toBe('4.0.1');
      const resources = res.body.rest[0].resource as { type: string; interaction: { code: string }[] }[];
      expect(resources.map((r) => r.type)).toEqual(r4Definitions().resourceTypes);
      expect(resources.length).toBeGreaterThanOrEqual(145);
      const patient = resources.find((r) => r.type === 'Patient')!;
      expect(patient.interaction.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'update', 'delete', 'create', 'history-instance', 'history-type']));
      // The statement must validate as an R4 CapabilityStatement itself.
      expect(r4Validator().validate(res.body, 'CapabilityStatement').filter((i) => i.severity === 'error')).toEqual([]);
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

    it('liveness and readiness', async () => {
      expect((await t.http.get('/healthz')).body.status).toBe('alive');
      expect((await t.http.get('/readyz')).status).toBe(200);
    });

    it('readiness fails when the database is unusable', async () => {
      const other = await target.start();
      try {
        await other.engine!.close();
        const res = await other.http.get('/readyz');
        expect(res.status).toBe(503);
        expect(res.body.status).toBe('unavailable');
      } finally {
        await other.close().catch(() => undefined);
      }
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
  },
};
