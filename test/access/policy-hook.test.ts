// Every path that reads or writes stored data passes the one door (src/access/data-access.ts):
// a policy installed for a caller holds on each of them, on every engine, the read fast path
// included. Two policies: one refuses a type outright ("may not see Observation"), one narrows it
// to some resources (Observations of Patient/visible only). Every check also runs as an
// unrestricted caller, so a path that bypassed the door would make the test fail.
import { ANONYMOUS, type Caller } from '../../src/access/caller';
import { openPolicy, policyOf, type AccessPolicy } from '../../src/access/policy';
import type { IncomingMessage } from 'node:http';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

const NO_OBSERVATIONS: AccessPolicy = policyOf((type) => (type === 'Observation' ? { allowed: false, reason: 'this caller may not see Observation' } : { allowed: true, where: [] }));
const VISIBLE_PATIENT_ONLY: AccessPolicy = policyOf((type) =>
  type === 'Observation' ? { allowed: true, where: [{ kind: 'reference', param: 'subject', type: 'Patient', id: 'visible' }] } : { allowed: true, where: [] },
);

const callers: Record<string, Caller> = {
  typeRefused: { kind: 'user', fhirUser: 'Practitioner/no-observations' },
  narrowed: { kind: 'user', fhirUser: 'Patient/visible', patient: 'visible' },
};

function policyFor(caller: Caller): AccessPolicy {
  if (caller === callers.typeRefused) return NO_OBSERVATIONS;
  if (caller === callers.narrowed) return VISIBLE_PATIENT_ONLY;
  return openPolicy;
}

function authenticate(req: IncomingMessage): Caller {
  const who = req.headers['x-test-caller'];
  return typeof who === 'string' && callers[who] ? callers[who] : ANONYMOUS;
}

const observation = (id: string, patient: string, identifier: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '1111-1' }] },
  identifier: [{ system: 'urn:test', value: identifier }],
  subject: { reference: `Patient/${patient}` },
});

describeEachEngine('one door for every read and write', (factory) => {
  let t: TestServer;
  const as = (who: 'admin' | 'typeRefused' | 'narrowed') => ({
    get: (url: string) => t.http.get(url).set('X-Test-Caller', who),
    post: (url: string, body: unknown, headers: Record<string, string> = {}) => t.http.post(url).set({ 'X-Test-Caller': who, 'Content-Type': FHIR, ...headers }).send(JSON.stringify(body)),
    put: (url: string, body: unknown) => t.http.put(url).set({ 'X-Test-Caller': who, 'Content-Type': FHIR }).send(JSON.stringify(body)),
    patch: (url: string, body: unknown) => t.http.patch(url).set({ 'X-Test-Caller': who, 'Content-Type': 'application/json-patch+json' }).send(JSON.stringify(body)),
    delete: (url: string) => t.http.delete(url).set('X-Test-Caller', who),
  });
  const admin = as('admin');
  const refused = as('typeRefused');
  const narrowed = as('narrowed');
  const ids = (bundle: { entry?: Array<{ resource?: { resourceType: string; id: string } }> }) =>
    (bundle.entry ?? []).filter((e) => e.resource).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);

  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), overrides: { policyFor, authenticate } });
    for (const r of [
      { resourceType: 'Patient', id: 'visible', name: [{ family: 'Visible' }] },
      { resourceType: 'Patient', id: 'hidden', name: [{ family: 'Hidden' }] },
      observation('obs-v', 'visible', 'v'),
      observation('obs-h', 'hidden', 'h'),
      { resourceType: 'DiagnosticReport', id: 'dr-v', status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/visible' }, result: [{ reference: 'Observation/obs-v' }] },
      { resourceType: 'DiagnosticReport', id: 'dr-h', status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/hidden' }, result: [{ reference: 'Observation/obs-h' }] },
    ]) {
      expect((await admin.put(`/fhir/${r.resourceType}/${r.id}`, r)).status).toBe(201);
    }
    expect((await admin.put('/fhir/Observation/obs-h', { ...observation('obs-h', 'hidden', 'h'), status: 'amended' })).status).toBe(200);
  });
  afterAll(() => t.close());

  describe('a caller that may not see Observation', () => {
    it('is refused with 403 wherever it names Observation', async () => {
      for (const url of [
        '/fhir/Observation/obs-v', // the read fast path
        '/fhir/Observation/obs-v?_summary=true', // the Express read route
        '/fhir/Observation/obs-v/_history/1',
        '/fhir/Observation/obs-v/_history',
        '/fhir/Observation/_history',
        '/fhir/Observation?code=1111-1',
        '/fhir/?_type=Observation',
        '/fhir/Patient/visible/Observation',
      ]) {
        const res = await refused.get(url);
        expect([url, res.status, res.body.issue?.[0]?.code]).toEqual([url, 403, 'forbidden']);
        expect((await admin.get(url)).status).toBe(200);
      }
      const created = await refused.post('/fhir/Observation', observation('x', 'visible', 'x'));
      expect(created.status).toBe(403);
      expect((await refused.put('/fhir/Observation/obs-v', observation('obs-v', 'visible', 'v'))).status).toBe(403);
      expect((await refused.delete('/fhir/Observation/obs-v')).status).toBe(403);
      expect((await refused.patch('/fhir/Observation/obs-v', [{ op: 'replace', path: '/status', value: 'amended' }])).status).toBe(403);
      expect((await refused.post('/fhir/Observation/obs-v/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })).status).toBe(403);
      expect((await admin.get('/fhir/Observation/obs-v')).body.status).toBe('final');
    });

    it('sees no Observation through searches across types, includes, chains, _has and history', async () => {
      const observations = (b: { entry?: Array<{ resource?: { resourceType: string } }> }) => (b.entry ?? []).filter((e) => e.resource?.resourceType === 'Observation').length;
      for (const url of [
        '/fhir/?_type=Observation,Patient',
        '/fhir/?_count=100',
        '/fhir/_history?_count=100',
        '/fhir/DiagnosticReport?_include=DiagnosticReport:result',
        '/fhir/Patient?_revinclude=Observation:subject',
        '/fhir/Patient/visible/*',
      ]) {
        const res = await refused.get(url);
        expect([url, res.status, observations(res.body)]).toEqual([url, 200, 0]);
        expect(observations((await admin.get(url)).body)).toBeGreaterThan(0);
      }
      for (const url of ['/fhir/DiagnosticReport?result:Observation.identifier=urn:test|v', '/fhir/Patient?_has:Observation:subject:identifier=urn:test|v']) {
        expect(ids((await refused.get(url)).body)).toEqual([]);
        expect(ids((await admin.get(url)).body)).toHaveLength(1);
      }
    });

    it('is refused per entry in a batch', async () => {
      const res = await refused.post('/fhir', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: 'Observation/obs-v' } },
          { request: { method: 'GET', url: 'Observation?code=1111-1' } },
          { request: { method: 'GET', url: 'Observation/obs-v/_history' } },
          { request: { method: 'GET', url: 'Patient/visible' } },
        ],
      });
      expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['403', '403', '403', '200']);
    });
  });

  describe('a caller that sees only the Observations of Patient/visible', () => {
    it('finds the hidden Observation nowhere by id: 404, as if it did not exist', async () => {
      for (const url of ['/fhir/Observation/obs-h', '/fhir/Observation/obs-h?_summary=true', '/fhir/Observation/obs-h/_history/1', '/fhir/Observation/obs-h/_history']) {
        const res = await narrowed.get(url);
        expect([url, res.status]).toEqual([url, 404]);
        expect((await admin.get(url)).status).toBe(200);
      }
      expect((await narrowed.get('/fhir/Observation/obs-v')).status).toBe(200);
    });

    it('never meets it in searches, includes, chains, _has, compartments or history', async () => {
      const cases: Array<[string, string[]]> = [
        ['/fhir/Observation?code=1111-1', ['Observation/obs-v']],
        ['/fhir/Observation?_id=obs-h,obs-v', ['Observation/obs-v']],
        ['/fhir/DiagnosticReport?_include=DiagnosticReport:result&_sort=_id', ['DiagnosticReport/dr-h', 'DiagnosticReport/dr-v', 'Observation/obs-v']],
        ['/fhir/Patient?_revinclude=Observation:subject&_sort=_id', ['Patient/hidden', 'Patient/visible', 'Observation/obs-v']],
        ['/fhir/DiagnosticReport?result:Observation.identifier=urn:test|h', []],
        ['/fhir/DiagnosticReport?result.code=1111-1&_sort=_id', ['DiagnosticReport/dr-v']],
        ['/fhir/Patient?_has:Observation:subject:identifier=urn:test|h', []],
        ['/fhir/Patient/hidden/Observation', []],
        ['/fhir/?_type=Observation,Patient&_sort=_id', ['Patient/hidden', 'Patient/visible', 'Observation/obs-v'].sort()],
      ];
      for (const [url, expected] of cases) {
        const res = await narrowed.get(url);
        expect([url, res.status, url.includes('_type') ? ids(res.body).sort() : ids(res.body)]).toEqual([url, 200, expected]);
        expect(ids((await admin.get(url)).body).some((id) => id === 'Observation/obs-h' || ['DiagnosticReport/dr-h', 'Patient/hidden'].includes(id))).toBe(true);
      }
      for (const url of ['/fhir/Observation/_history?_count=100', '/fhir/_history?_count=100']) {
        const narrowIds = ids((await narrowed.get(url)).body);
        expect(narrowIds).toContain('Observation/obs-v');
        expect(narrowIds).not.toContain('Observation/obs-h');
        expect(ids((await admin.get(url)).body)).toContain('Observation/obs-h');
      }
    });

    it('cannot find it through conditional criteria, nor change or delete it', async () => {
      // A conditional delete, update or patch whose criteria match only the hidden Observation acts
      // as if nothing matched; the hidden resource stays as it was.
      expect((await narrowed.delete('/fhir/Observation?identifier=urn:test|h')).status).toBe(204);
      expect((await narrowed.patch('/fhir/Observation?identifier=urn:test|h', [{ op: 'replace', path: '/status', value: 'cancelled' }])).status).toBe(404);
      expect((await narrowed.patch('/fhir/Observation/obs-h', [{ op: 'replace', path: '/status', value: 'cancelled' }])).status).toBe(404);
      expect((await narrowed.put('/fhir/Observation/obs-h', { ...observation('obs-h', 'visible', 'h2') })).status).toBe(404);
      expect((await narrowed.delete('/fhir/Observation/obs-h')).status).toBe(204);
      expect((await narrowed.post('/fhir/Observation/obs-h/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })).status).toBe(404);
      const stillThere = await admin.get('/fhir/Observation/obs-h');
      expect([stillThere.status, stillThere.body.status, stillThere.body.meta.versionId]).toEqual([200, 'amended', '2']);

      // Conditional create: the hidden match does not count, so a new (visible) resource is made.
      const created = await narrowed.post('/fhir/Observation', observation('ignored', 'visible', 'h'), { 'If-None-Exist': 'identifier=urn:test|h' });
      expect(created.status).toBe(201);
      expect((await admin.post('/fhir/Observation', observation('ignored', 'visible', 'h'), { 'If-None-Exist': 'identifier=urn:test|v' })).status).toBe(200);
    });

    it('cannot write a resource outside its reach', async () => {
      const res = await narrowed.post('/fhir/Observation', observation('x', 'hidden', 'new'));
      expect(res.status).toBe(403);
      expect(res.body.issue[0].code).toBe('forbidden');
      expect((await admin.get('/fhir/Observation?identifier=urn:test|new')).body.entry ?? []).toEqual([]);
      const moved = await narrowed.put('/fhir/Observation/obs-v', observation('obs-v', 'hidden', 'v'));
      expect(moved.status).toBe(403);
      expect((await admin.get('/fhir/Observation/obs-v')).body.subject.reference).toBe('Patient/visible');
    });

    it('holds in batch entries and in transactions', async () => {
      const batch = await narrowed.post('/fhir', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: 'Observation/obs-h' } },
          { request: { method: 'GET', url: 'Observation?subject=Patient/hidden' } },
          { request: { method: 'GET', url: 'Observation/obs-h/_history' } },
          { request: { method: 'GET', url: 'Observation/obs-v' } },
        ],
      });
      expect(batch.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['404', '200', '404', '200']);
      expect(batch.body.entry[1].resource.entry ?? []).toEqual([]);
      const tx = await narrowed.post('/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: 'Observation/obs-h' } }] });
      if (t.server.engine.atomicTransactions) {
        expect(tx.status).toBe(200);
        expect(tx.body.entry[0].response.status).toMatch(/^404/);
      } else {
        expect(tx.status).toBe(400); // FerretDB refuses transaction Bundles as a whole
      }
    });
  });
});
