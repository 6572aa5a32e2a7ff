// Transaction Bundles over HTTP: reference rewriting, processing order, identity rules, atomicity
// (nothing written on failure; byte-for-byte where the target exposes its SQLite file), limits and
// concurrent transactions — and, where the deployment has no multi-document transactions, their
// refusal.
import Database from 'better-sqlite3';
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR_JSON = 'application/fhir+json';

const post = (s: ContractServer, body: unknown, prefer?: string) => {
  const req = s.http.post('/fhir').set('Content-Type', FHIR_JSON);
  if (prefer) req.set('Prefer', prefer);
  return req.send(JSON.stringify(body));
};

const tx = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });

/** Every row of every table, in a stable order: the database's content, independent of pages. */
function dumpFile(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return tables.map((t) => `${t.name}:${JSON.stringify(db.prepare(`SELECT * FROM "${t.name}" ORDER BY 1, 2`).all())}`).join('\n');
  } finally {
    db.close();
  }
}

/**
 * What the store holds, as far as the target lets the test see: every version ever written (system
 * history counts them all, so any write changes it), and on SQLite every row of every table.
 */
async function dump(s: ContractServer): Promise<string> {
  const history = await s.http.get('/fhir/_history?_count=1');
  expect(history.status).toBe(200);
  return `versions:${history.body.total}` + (s.sqliteFile ? `\n${dumpFile(s.sqliteFile)}` : '');
}

export const transactionContract: ContractSuite = {
  id: 'transaction',
  title: 'transaction Bundles',
  define({ target, it }) {
    let s: ContractServer;
    beforeAll(async () => {
      s = await target.start();
    });
    afterAll(() => s.close());

    it('refuses transaction Bundles where the deployment has no multi-document transactions', async () => {
      const before = await dump(s);
      const res = await post(s, tx([{ fullUrl: 'urn:uuid:r', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }]));
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('not-supported');
      expect(res.body.issue[0].diagnostics).toMatch(/replica set/);
      expect(await dump(s)).toBe(before);
      // A batch is the documented alternative, and works.
      const batch = await post(s, { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] });
      expect(batch.status).toBe(200);
      expect(batch.body.entry[0].response.status).toBe('201 Created');
    });

    it('rewrites urn:uuid references everywhere: nested, contained, extensions, narrative, uri elements', async () => {
      const res = await post(
        s,
        tx([
          { fullUrl: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'Ngata' }] }, request: { method: 'POST', url: 'Patient' } },
          {
            fullUrl: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000002',
            resource: {
              resourceType: 'Observation',
              text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="urn:uuid:8c1b5d2a-0000-4000-8000-000000000001">patient</a></div>' },
              contained: [{ resourceType: 'Provenance', id: 'p1', recorded: '2024-01-01T00:00:00Z', target: [{ reference: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000001' }], agent: [{ who: { display: 'x' } }] }],
              extension: [{ url: 'http://example.org/ext', valueReference: { reference: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000001' } }],
              status: 'final',
              code: { text: 'weight' },
              subject: { reference: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000001' },
              focus: [{ reference: '#p1' }],
              derivedFrom: [{ reference: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000003' }],
              identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000001' }],
            },
            request: { method: 'POST', url: 'Observation' },
          },
          { fullUrl: 'urn:uuid:8c1b5d2a-0000-4000-8000-000000000003', resource: { resourceType: 'Observation', status: 'final', code: { text: 'height' } }, request: { method: 'POST', url: 'Observation' } },
        ]),
      );
      expect(res.status).toBe(200);
      expect(res.body.type).toBe('transaction-response');
      const [patientUrl, obsUrl, heightUrl] = res.body.entry.map((e: { response: { location: string } }) => e.response.location);
      const patientId = /Patient\/([^/]+)\//.exec(patientUrl)![1];
      const heightId = /Observation\/([^/]+)\//.exec(heightUrl)![1];
      const obs = (await s.http.get(new URL(obsUrl).pathname.replace(/\/_history\/1$/, ''))).body;
      const ref = `Patient/${patientId}`;
      expect(obs.subject.reference).toBe(ref);
      expect(obs.contained[0].target[0].reference).toBe(ref);
      expect(obs.extension[0].valueReference.reference).toBe(ref);
      expect(obs.text.div).toContain(`href="${ref}"`);
      expect(obs.derivedFrom[0].reference).toBe(`Observation/${heightId}`);
      expect(obs.focus[0].reference).toBe('#p1');
      // Identifier.value is a string, not a link: left as sent.
      expect(obs.identifier[0].value).toBe('urn:uuid:8c1b5d2a-0000-4000-8000-000000000001');
    });

    it('answers in request order and processes DELETE before POST before PUT before GET', async () => {
      await s.http.put('/fhir/Patient/keep').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Patient', id: 'keep', active: true }));
      await s.http.put('/fhir/Patient/gone').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Patient', id: 'gone' }));
      const res = await post(
        s,
        tx([
          { request: { method: 'GET', url: 'Patient/keep' } },
          { resource: { resourceType: 'Patient', id: 'keep', active: false }, request: { method: 'PUT', url: 'Patient/keep' } },
          { fullUrl: 'urn:uuid:new', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'DELETE', url: 'Patient/gone' } },
        ]),
        'return=representation',
      );
      expect(res.status).toBe(200);
      const statuses = res.body.entry.map((e: { response: { status: string } }) => e.response.status);
      expect(statuses).toEqual(['200 OK', '200 OK', '201 Created', '204 No Content']);
      // The GET ran after the PUT although it came first.
      expect(res.body.entry[0].resource.active).toBe(false);
      expect(res.body.entry[1].response.etag).toBe('W/"2"');
      expect((await s.http.get('/fhir/Patient/gone')).status).toBe(410);
    });

    it('refuses the same resource twice (400) and a dangling urn reference, naming the entry', async () => {
      const twice = await post(
        s,
        tx([
          { resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/a' } },
          { request: { method: 'DELETE', url: 'Patient/a' } },
        ]),
      );
      expect(twice.status).toBe(400);
      expect(twice.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[\d\].*Patient\/a/);
      const dangling = await post(s, tx([{ fullUrl: 'urn:uuid:x', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:nowhere' } }, request: { method: 'POST', url: 'Observation' } }]));
      expect(dangling.status).toBe(400);
      expect(dangling.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[0\].*urn:uuid:nowhere/);
      expect(dangling.body.issue[0].expression).toContain('Bundle.entry[0]');
    });

    it('rolls back completely: an invalid last entry leaves the database byte-for-byte unchanged', async () => {
      await s.http.put('/fhir/Patient/p1').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Patient', id: 'p1' }));
      const before = await dump(s);
      const res = await post(
        s,
        tx([
          { fullUrl: 'urn:uuid:a', resource: { resourceType: 'Patient', name: [{ family: 'A' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', id: 'p1', active: true }, request: { method: 'PUT', url: 'Patient/p1' } },
          { request: { method: 'DELETE', url: 'Patient/p1x' } },
          { fullUrl: 'urn:uuid:b', resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
        ]),
      );
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[3\]/);
      expect(await dump(s)).toBe(before);
      expect((await s.http.get('/fhir/Patient/p1')).body.active).toBeUndefined();
    });

    it('refuses more entries than configured with 413 before doing any work', async () => {
      const small = await target.start({ env: { NIMBUS_MAX_BUNDLE_ENTRIES: '2' } });
      try {
        const before = await dump(small);
        const entries = [0, 1, 2].map((i) => ({ fullUrl: `urn:uuid:${i}`, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }));
        const res = await post(small, tx(entries));
        expect(res.status).toBe(413);
        expect(res.body.resourceType).toBe('OperationOutcome');
        expect(await dump(small)).toBe(before);
      } finally {
        await small.close();
      }
    });

    it('refuses a body over the size limit with 413', async () => {
      const small = await target.start({ env: { NIMBUS_MAX_BODY: '2kb' } });
      try {
        const entries = Array.from({ length: 40 }, (_, i) => ({ fullUrl: `urn:uuid:${i}`, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }));
        const res = await post(small, tx(entries));
        expect(res.status).toBe(413);
        expect(res.body.resourceType).toBe('OperationOutcome');
      } finally {
        await small.close();
      }
    });

    it('keeps history linear when concurrent transactions update the same resource', async () => {
      await s.http.put('/fhir/Patient/shared').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Patient', id: 'shared' }));
      const n = 20;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          post(s, tx([{ resource: { resourceType: 'Patient', id: 'shared', name: [{ family: `F${i}` }] }, request: { method: 'PUT', url: 'Patient/shared' } }])),
        ),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      const etags = results.map((r) => r.body.entry[0].response.etag).sort();
      expect(new Set(etags).size).toBe(n); // no two writers got the same version
      const history = await s.http.get('/fhir/Patient/shared/_history?_count=100');
      const versions = history.body.entry.map((e: { resource: { meta: { versionId: string } } }) => Number(e.resource.meta.versionId));
      expect(versions).toEqual(Array.from({ length: n + 1 }, (_, i) => n + 1 - i));
    });

    it('answers malformed Bundles with 400 OperationOutcomes, never a crash', async () => {
      for (const body of [
        { resourceType: 'Bundle', type: 'collection' },
        { resourceType: 'Patient' },
        tx([{ request: { method: 'FETCH', url: 'Patient' } }]),
        tx([{ request: { method: 'POST', url: 'Patient' } }]),
        tx([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Nope' } }]),
        tx([{ resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient' } }]),
        tx([null, 3, 'x']),
        { resourceType: 'Bundle', type: 'transaction', entry: 'x' },
      ]) {
        const res = await post(s, body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.body.resourceType).toBe('OperationOutcome');
      }
    });
  },
};
