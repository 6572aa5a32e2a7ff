// Every registered operation, run from the example its module declares, answers 200 with only the
// out-parameters its definition declares (R4 operations.html: a single `return` resource is sent
// as itself, anything else as Parameters). New operations join this test by being registered.
import type { OperationDefinitionParameter, Parameters } from '@medplum/fhirtypes';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { urlRepresentable } from '../../src/operations/parameters';

const FHIR = 'application/fhir+json';
// Every registered operation's example runs in one test; on FerretDB under load an example takes a
// few seconds, so the list outgrows the default minute as operations are added.
jest.setTimeout(300_000);

describeEachEngine('every registered operation', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());

  it('has a definition with a canonical URL, an example, and a stored copy', async () => {
    const modules = t.server.services.operations.modules;
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules) {
      expect(m.definition.url).toMatch(/^http:\/\/(hl7\.org\/fhir|nimbus-fhir\.org\/fhir)\/OperationDefinition\//);
      expect(m.example).toBeDefined();
      expect((await t.http.get(`/fhir/OperationDefinition/${m.definition.id}`)).status).toBe(200);
    }
  });

  it('answers its example with exactly the declared out-parameters', async () => {
    const isResourceType = t.server.services.core.definitions.isResourceType;
    for (const m of t.server.services.operations.modules) {
      const { example, definition } = m;
      for (const r of example.setup ?? []) expect((await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r)).status).toBeLessThan(300);
      const path = ['', 'fhir', example.resourceType, example.id, `$${definition.code}`].filter((x) => x !== undefined).join('/');
      if (m.async === 'required') {
        // Runs only as a job: kicked off (202), then its status URL answers 200 when done. Its
        // answer may be plain JSON (a Bulk Data manifest), checked by the operation's own tests.
        const kick = await t.http.post(path).set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send(example.parameters ?? { resourceType: 'Parameters' });
        expect([definition.code, kick.status]).toEqual([definition.code, 202]);
        const status = new URL(kick.headers['content-location']).pathname;
        let polled = await t.http.get(status);
        for (let i = 0; i < 600 && polled.status === 202; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          polled = await t.http.get(status);
        }
        expect([definition.code, polled.status]).toEqual([definition.code, 200]);
        continue;
      }
      const res = await t.http.post(path).set('Content-Type', FHIR).send(example.parameters ?? { resourceType: 'Parameters' });
      expect([definition.code, res.status, res.status === 200 ? '' : JSON.stringify(res.body).slice(0, 400)]).toEqual([definition.code, 200, '']);
      const outs = (definition.parameter ?? []).filter((p) => p.use === 'out');
      const single = outs.length === 1 && outs[0].name === 'return' && (outs[0].type === 'Resource' || isResourceType(outs[0].type ?? ''));
      if (single) {
        expect([definition.code, res.body.resourceType]).toEqual([definition.code, outs[0].type === 'Resource' ? res.body.resourceType : outs[0].type]);
      } else {
        const body = res.body as Parameters;
        expect(body.resourceType).toBe('Parameters');
        for (const p of body.parameter ?? []) expect([definition.code, p.name, outs.some((o: OperationDefinitionParameter) => o.name === p.name)]).toEqual([definition.code, p.name, true]);
        for (const o of outs.filter((x) => (x.min ?? 0) > 0)) expect([definition.code, (body.parameter ?? []).some((p) => p.name === o.name)]).toEqual([definition.code, true]);
      }
      // Read-only operations whose parameters fit in a URL answer GET the same way.
      if (!m.affectsState && urlRepresentable(definition) && !(example.parameters?.parameter ?? []).some((p) => p.resource || p.part)) {
        const qs = new URLSearchParams((example.parameters?.parameter ?? []).map((p) => [p.name!, String(Object.entries(p).find(([k]) => k.startsWith('value'))![1])]));
        const viaGet = await t.http.get(`${path}${qs.size ? `?${qs}` : ''}`);
        // Each supertest request gets its own port, and answers that carry URLs (Bundles) take the
        // base from the Host header: compare without it.
        // Reports stamped with the time they were made (MeasureReport.date, RiskAssessment.occurrenceDateTime) differ by that alone.
        const hostless = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://host').replace(/"(date|occurrenceDateTime)":"[0-9T:.-]+Z"/g, '"$1":"(made)"'));
        expect([definition.code, viaGet.status, hostless(viaGet.body)]).toEqual([definition.code, 200, hostless(res.body)]);
      }
    }
  });
});
